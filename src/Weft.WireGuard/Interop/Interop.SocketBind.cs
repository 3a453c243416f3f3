using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>bind(2): gives the socket its local address.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static unsafe partial int bind(SafeUdpSocketHandle socket, byte* address, uint addressLength);
}
