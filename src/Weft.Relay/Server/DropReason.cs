namespace Weft.Relay.Server;

/// <summary>Why the relay dropped a packet or a connection; each has its own counter in /metrics.</summary>
public enum DropReason
{
    /// <summary>The destination's queue was full (it reads more slowly than others send to it).</summary>
    QueueFull,

    /// <summary>This sender already held its fair share of the destination's queue.</summary>
    SenderShareFull,

    /// <summary>The destination is connected neither here nor on a mesh peer.</summary>
    NoRoute,

    /// <summary>The destination disconnected with the packet still queued.</summary>
    DestinationGone,

    /// <summary>A frame with a bad length or a type not allowed here: the connection is closed.</summary>
    Malformed,

    /// <summary>A frame header declared a body over the limit: the connection is closed.</summary>
    TooLarge,

    /// <summary>A handshake that did not authenticate (wrong key, not the protocol, wrong mesh key).</summary>
    AuthFailed,

    /// <summary>A handshake not finished within the timeout.</summary>
    HandshakeTimeout,

    /// <summary>A handshake refused because its source started too many.</summary>
    HandshakeRateLimited,

    /// <summary>A connection silent past the idle timeout.</summary>
    IdleTimeout,

    /// <summary>A control frame (presence, notice) that did not fit: the connection is closed so the peer resyncs.</summary>
    ControlOverflow,

    /// <summary>A record after the handshake that does not open under the connection's key and counter (altered, replayed, reordered or injected): the connection is closed.</summary>
    Unauthenticated,
}
