using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Core.Keys;

namespace Weft.Relay.Server;

public sealed partial class RelayServer
{
    [LoggerMessage(Level = LogLevel.Information, Message = "relay: {Node} connected from {Source}")]
    private partial void LogClientConnected(NodePublic node, IPAddress source);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay: mesh peer {Key} connected from {Source}")]
    private partial void LogMeshPeerConnected(IPAddress source, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay: {Key} disconnected")]
    private partial void LogDisconnected(string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay: handshake from {Source} refused: {Reason}")]
    private partial void LogHandshakeFailed(IPAddress source, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay: handshake from {Source} timed out")]
    private partial void LogHandshakeTimeout(IPAddress source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay: closing {Key}: malformed or oversized frame")]
    private partial void LogMalformedFrame(string key);

    internal void LogMalformed(Weft.Core.Crypto.Key32 key) => LogMalformedFrame(key.ToHex());
}
