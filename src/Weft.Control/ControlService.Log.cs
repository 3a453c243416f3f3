using Microsoft.Extensions.Logging;
using Weft.Control.Storage;

namespace Weft.Control;

public sealed partial class ControlService
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "could not announce a {Kind} change of tailnet {Tailnet} to the other replicas: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, ChangeKind kind, long tailnet, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ignored a change of unknown kind {Kind} from another replica")]
    private static partial void LogUnknownChange(ILogger logger, ChangeKind kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "resynced {Count} tailnet maps from the database")]
    private static partial void LogResynced(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "removed user {Login} of tailnet {Tailnet} with {Nodes} machine(s), their auth keys and API keys")]
    private static partial void LogUserRemoved(ILogger logger, string login, long tailnet, int nodes);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay map changed: {Regions} region(s), from the {Source}")]
    private static partial void LogRelayMapChanged(ILogger logger, string source, int regions);

    [LoggerMessage(Level = LogLevel.Error, Message = "the stored relay map override does not parse ({Reason}); using the config's relay map")]
    private static partial void LogStoredRelayMapBad(ILogger logger, string reason);
}
