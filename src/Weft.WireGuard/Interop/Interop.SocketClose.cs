using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>close(2); only <see cref="SafeUdpSocketHandle"/> calls it, once no call is using the descriptor.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int close(int fd);
}
