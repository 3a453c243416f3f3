using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>read(2): one packet (with its virtio_net_hdr when enabled) per call on a TUN fd.</summary>
    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint read(SafeTunFileHandle fd, byte* buffer, nint count);
}
