using Microsoft.Extensions.Logging;

namespace Weft.Relay.Client;

public sealed partial class RelayClient
{
    [LoggerMessage(Level = LogLevel.Information, Message = "relay client: connected to {Url}")]
    private partial void LogConnected(Uri url);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay client: connection to {Url} ended: {Reason}")]
    private partial void LogDisconnected(Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay client: notice from {Url}: {Text}")]
    private partial void LogNotice(Uri url, string text);
}
