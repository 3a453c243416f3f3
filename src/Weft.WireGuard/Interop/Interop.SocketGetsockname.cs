using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>getsockname(2): the address actually bound, to learn an ephemeral port.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static unsafe partial int getsockname(SafeUdpSocketHandle socket, byte* address, uint* addressLength);
}
