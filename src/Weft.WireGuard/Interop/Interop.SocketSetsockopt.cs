using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>setsockopt(2).</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static unsafe partial int setsockopt(SafeUdpSocketHandle socket, int level, int name, void* value, uint valueLength);
}
