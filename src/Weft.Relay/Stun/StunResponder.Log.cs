using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Weft.Relay.Stun;

public sealed partial class StunResponder
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "stun: answer to {Source} not sent: {Error}")]
    private partial void LogSendFailed(IPEndPoint source, SocketError error);
}
