using Microsoft.Extensions.Logging;

namespace Weft.Node.Paths;

public sealed partial class MagicBind
{
    [LoggerMessage(Level = LogLevel.Information, Message = "path to {Peer} is now {Path}")]
    private static partial void LogPathChanged(ILogger logger, string peer, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "learned endpoint {Endpoint} of {Peer} from its ping")]
    private static partial void LogCandidateLearned(ILogger logger, string peer, string endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "dropped a forged disco message from {Source} claiming to be {Peer}")]
    private static partial void LogDiscoForged(ILogger logger, string source, string peer);

    [LoggerMessage(Level = LogLevel.Error, Message = "handling a disco message failed; it was dropped")]
    private static partial void LogDiscoFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "peer {Peer} has an unusable disco key; it is reachable only by address")]
    private static partial void LogBadDiscoKey(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "STUN server {Server} sees us as {Mapped}")]
    private static partial void LogStunMapped(ILogger logger, string server, string mapped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "birthday probing: opened only {Count} sockets ({Error})")]
    private static partial void LogBirthdaySocketsShort(ILogger logger, int count, string error);
}
