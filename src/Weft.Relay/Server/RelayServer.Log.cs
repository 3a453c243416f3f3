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

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay: closing {Key}: record {Counter} is {Reason}")]
    private partial void LogFrameFault(string key, ulong counter, string reason);

    internal void LogFrameFault(Weft.Core.Crypto.Key32 key, DropReason reason, ulong counter) =>
        LogFrameFault(key.ToHex(), counter, reason switch
        {
            DropReason.Unauthenticated => "not authentic (altered, replayed or injected on the way)",
            DropReason.TooLarge => "oversized",
            _ => "malformed (or holds a malformed frame)",
        });
}
