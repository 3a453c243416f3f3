using Microsoft.Extensions.Logging;

namespace Weft.WireGuard.Conn;

public sealed partial class LinuxBind
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "UDP bind open on port {Port} ({Stack}), GSO {Gso}, GRO {Gro}")]
        public static partial void Opened(ILogger logger, ushort port, string stack, bool gso, bool gro);

        [LoggerMessage(Level = LogLevel.Debug, Message = "UDP bind on port {Port}: cannot force socket buffer size (errno {Errno}); using the system limit")]
        public static partial void BufferNotForced(ILogger logger, ushort port, int errno);

        [LoggerMessage(Level = LogLevel.Warning, Message = "UDP bind on port {Port}: kernel refused a segmented send (errno {Errno}); UDP GSO disabled")]
        public static partial void SegmentationDisabled(ILogger logger, ushort port, int errno);

        [LoggerMessage(Level = LogLevel.Debug, Message = "UDP bind on port {Port}: recvmmsg failed (errno {Errno}); continuing")]
        public static partial void ReceiveFailed(ILogger logger, ushort port, int errno);
    }
}
