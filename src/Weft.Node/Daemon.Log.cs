using Microsoft.Extensions.Logging;

namespace Weft.Node;

public sealed partial class Daemon
{
    [LoggerMessage(Level = LogLevel.Information, Message = "engine up on TUN {Tun}, WireGuard port {Port}")]
    private static partial void LogEngineStarted(ILogger logger, string tun, ushort port);

    [LoggerMessage(Level = LogLevel.Error, Message = "engine failed: {Reason}")]
    private static partial void LogEngineFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "TUN {Tun} disappeared; recreating it")]
    private static partial void LogTunGone(ILogger logger, string tun);

    [LoggerMessage(Level = LogLevel.Information, Message = "resumed from the cached netmap with {Peers} peers")]
    private static partial void LogResumedFromCache(ILogger logger, int peers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cached netmap unusable, waiting for the server: {Reason}")]
    private static partial void LogCacheUnusable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "malformed map message ignored ({Count} so far): {Reason}")]
    private static partial void LogMalformedMap(ILogger logger, string reason, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "configuring the TUN failed: {Reason}")]
    private static partial void LogOsFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "pinned the key of {Server}: {Key}")]
    private static partial void LogServerKeyPinned(ILogger logger, string server, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the server no longer accepts this node's key: {Reason}")]
    private static partial void LogRegistrationLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "UDP port {Port} of the last run is taken, picking another: {Reason}")]
    private static partial void LogPortTaken(ILogger logger, ushort port, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "could not nudge peers after the restart: {Reason}")]
    private static partial void LogNudgeFailed(ILogger logger, string reason);
}
