using Microsoft.Extensions.Logging;

namespace Weft.Relay.Server;

internal sealed partial class MeshLink
{
    [LoggerMessage(Level = LogLevel.Information, Message = "relay mesh: link to {Url} up")]
    private partial void LogUp(Uri url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay mesh: link to {Url} down: {Reason}")]
    private partial void LogDown(Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay mesh: {Url} is this relay itself; not meshing with it")]
    private partial void LogSelf(Uri url);
}
