namespace Weft.Relay.Protocol;

/// <summary>The type byte at the start of every relay frame (PROTOCOL.md lists each body).</summary>
public enum FrameType : byte
{
    /// <summary>Client → relay: Noise IK message 1; its payload names the protocol, version and client kind.</summary>
    ClientHello = 0x01,

    /// <summary>Relay → client: Noise IK message 2.</summary>
    ServerHello = 0x02,

    /// <summary>Client → relay: destination node key (32) then the opaque packet.</summary>
    SendPacket = 0x03,

    /// <summary>Relay → client: source node key (32) then the opaque packet.</summary>
    RecvPacket = 0x04,

    /// <summary>Either way: empty; keeps NATs and proxies open and proves liveness.</summary>
    KeepAlive = 0x05,

    /// <summary>Relay → client: node key (32) and a <see cref="PeerGoneReason"/> byte.</summary>
    PeerGone = 0x06,

    /// <summary>Relay → client: a <see cref="NoticeLevel"/> byte then UTF-8 text for logs and health.</summary>
    Notice = 0x07,

    /// <summary>Relay ↔ relay after the handshake: a 32-byte proof of the shared mesh key.</summary>
    MeshHello = 0x08,

    /// <summary>Relay → mesh peer: node key (32) now connected here.</summary>
    PeerPresent = 0x09,

    /// <summary>Mesh peer → relay: source key (32), destination key (32), opaque packet, for a client homed here.</summary>
    ForwardPacket = 0x0A,

    /// <summary>Either way: 8 opaque bytes the other side echoes in a <see cref="Pong"/>.</summary>
    Ping = 0x0B,

    /// <summary>Either way: the 8 bytes of the ping being answered.</summary>
    Pong = 0x0C,
}

/// <summary>Why a <see cref="FrameType.PeerGone"/> was sent.</summary>
public enum PeerGoneReason : byte
{
    /// <summary>The peer was connected and has disconnected.</summary>
    Disconnected = 0,

    /// <summary>A packet was sent to a key that is connected neither here nor on a mesh peer.</summary>
    NotHere = 1,
}

/// <summary>How serious a <see cref="FrameType.Notice"/> is.</summary>
public enum NoticeLevel : byte
{
    /// <summary>For the log only.</summary>
    Info = 0,

    /// <summary>Something the client should report in its health (rate limited, relay shutting down).</summary>
    Warning = 1,
}
