using Microsoft.Extensions.Logging;

namespace Weft.WireGuard;

public sealed partial class Device
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Interface {Interface} up, listening on UDP port {Port}")]
        public static partial void Started(ILogger logger, string @interface, ushort port);

        [LoggerMessage(2, LogLevel.Information, "Interface {Interface} stopped; counters: {Counters}; allocated {AllocatedBytes} bytes in all, {Gen0Collections} gen0 collections, {Buffers} packet buffers")]
        public static partial void Stopped(ILogger logger, string @interface, string counters, long allocatedBytes, int gen0Collections, int buffers);

        [LoggerMessage(3, LogLevel.Error, "Engine routine {Routine} failed")]
        public static partial void RoutineFailed(ILogger logger, string routine, Exception exception);

        [LoggerMessage(4, LogLevel.Information, "TUN {Interface} closed or deleted")]
        public static partial void TunClosed(ILogger logger, string @interface);

        [LoggerMessage(5, LogLevel.Debug, "Sending to {Destination} failed: {Reason}")]
        public static partial void SendFailed(ILogger logger, string destination, string reason);

        [LoggerMessage(6, LogLevel.Debug, "Writing to TUN {Interface} failed: {Reason}")]
        public static partial void TunWriteFailed(ILogger logger, string @interface, string reason);

        [LoggerMessage(7, LogLevel.Debug, "{Peer}: handshake initiation sent (retry: {Retry})")]
        public static partial void HandshakeInitiated(ILogger logger, string peer, bool retry);

        [LoggerMessage(8, LogLevel.Debug, "{Peer}: handshake response sent")]
        public static partial void HandshakeResponded(ILogger logger, string peer);

        [LoggerMessage(9, LogLevel.Debug, "{Peer}: handshake completed")]
        public static partial void HandshakeCompleted(ILogger logger, string peer);

        [LoggerMessage(10, LogLevel.Warning, "Changing the socket failed: {Reason}")]
        public static partial void SocketChangeFailed(ILogger logger, string reason);
    }
}
