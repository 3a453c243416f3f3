using Microsoft.Extensions.Logging;

namespace Weft.Control.Storage;

public sealed partial class PostgresChangeFeed
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "change feed: lost the listening connection ({Reason}); reconnecting")]
    private static partial void LogListenerLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "change feed: listening again; resyncing from the database")]
    private static partial void LogListenerBack(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "change feed: ignored a malformed notification: {Reason}")]
    private static partial void LogBadPayload(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "change feed: could not apply a change ({Reason}); resyncing")]
    private static partial void LogApplyFailed(ILogger logger, string reason);
}
