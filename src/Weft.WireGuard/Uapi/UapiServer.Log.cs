using Microsoft.Extensions.Logging;

namespace Weft.WireGuard.Uapi;

public sealed partial class UapiServer
{
    /// <summary>The server's log lines; none carries a key.</summary>
    internal static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "UAPI listening on {Path}")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(Level = LogLevel.Warning, Message = "UAPI {Operation} failed with errno {Errno}: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string operation, int errno, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "UAPI connection closed: {Reason}")]
        public static partial void ConnectionDropped(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "UAPI connection failed")]
        public static partial void ConnectionFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "UAPI device threw")]
        public static partial void DeviceFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "UAPI accept failed")]
        public static partial void AcceptFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "UAPI socket {Path} could not be deleted")]
        public static partial void SocketNotDeleted(ILogger logger, string path, Exception exception);
    }
}
