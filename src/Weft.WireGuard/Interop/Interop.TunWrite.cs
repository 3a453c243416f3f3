using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>write(2): one packet (or GSO superpacket) per call on a TUN fd; also signals the eventfd.</summary>
    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint write(SafeTunFileHandle fd, byte* buffer, nint count);
}
