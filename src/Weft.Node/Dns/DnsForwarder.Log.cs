using System.Net;
using Microsoft.Extensions.Logging;

namespace Weft.Node.Dns;

internal sealed partial class DnsForwarder
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "DNS upstream {Upstream} did not answer within {TimeoutMs} ms; trying the next")]
        public static partial void UpstreamTimedOut(ILogger logger, IPEndPoint upstream, double timeoutMs);

        [LoggerMessage(Level = LogLevel.Debug, Message = "DNS upstream {Upstream} failed ({Reason}); trying the next")]
        public static partial void UpstreamFailed(ILogger logger, IPEndPoint upstream, string reason);
    }
}
