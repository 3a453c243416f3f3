using Microsoft.Extensions.Logging;

namespace Weft.Node.Web;

public sealed partial class WebServer
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "weft web: open {Address} in a browser on this machine")]
        public static partial void Listening(ILogger logger, Uri address);

        [LoggerMessage(Level = LogLevel.Warning, Message = "web UI refused {Method} {Path} (Host '{Host}'): {Reason}")]
        public static partial void Refused(ILogger logger, string reason, string method, string path, string host);

        [LoggerMessage(Level = LogLevel.Debug, Message = "web UI {Method} {Path}: daemon said {Error}")]
        public static partial void DaemonError(ILogger logger, string method, string path, string error);
    }
}
