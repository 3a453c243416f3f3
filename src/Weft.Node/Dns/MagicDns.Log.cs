using System.Net;
using Microsoft.Extensions.Logging;

namespace Weft.Node.Dns;

public sealed partial class MagicDns
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "MagicDNS listening on {Endpoint} (UDP and TCP)")]
        public static partial void Listening(ILogger logger, IPEndPoint endpoint);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MagicDNS table updated: MagicDNS {Enabled}, domain \"{Domain}\", {Hosts} names, {Upstreams} default upstreams")]
        public static partial void Updated(ILogger logger, bool enabled, string domain, int hosts, int upstreams);

        [LoggerMessage(Level = LogLevel.Warning, Message = "MagicDNS configuration: {Problem}")]
        public static partial void ConfigProblem(ILogger logger, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "MagicDNS has no upstream nameservers for a query it cannot answer itself; replying REFUSED (configure nameservers in the tailnet's DNS settings)")]
        public static partial void NoUpstream(ILogger logger);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MagicDNS receive failed ({Error}); continuing")]
        public static partial void ReceiveFailed(ILogger logger, string error);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MagicDNS send failed ({Error})")]
        public static partial void SendFailed(ILogger logger, string error);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MagicDNS TCP client gone: {Reason}")]
        public static partial void TcpClientClosed(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "MagicDNS failed on one query; it was dropped")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);
    }
}
