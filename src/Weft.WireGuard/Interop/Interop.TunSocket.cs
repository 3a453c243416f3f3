using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>socket(2): a datagram socket used only for interface ioctls (MTU) in the TUN's namespace.</summary>
    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    internal static partial SafeTunFileHandle socket(int domain, int type, int protocol);
}
