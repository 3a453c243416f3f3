namespace Weft.Relay;

/// <summary>Constants of the relay protocol and the relay's defaults, split into what a specification fixes and what we chose.</summary>
public static class RelayConstants
{
    // From RFC 8489.

    /// <summary>The STUN port (RFC 8489).</summary>
    public const int StunPort = 3478;

    // Our choice: the wire protocol (see PROTOCOL.md).

    /// <summary>The HTTP path a client upgrades on.</summary>
    public const string Path = "/relay/v2";

    /// <summary>Where a client may fetch the relay's public key (when no relay map gave it one).</summary>
    public const string KeyPath = "/relay/v2/key";

    /// <summary>The token a client puts in its HTTP/1.1 Upgrade header; reverse proxies pass any token through.</summary>
    public const string UpgradeToken = "weft-relay-v2";

    /// <summary>The protocol version in the handshake payloads.</summary>
    public const ushort Version = 2;

    /// <summary>Where version 1 clients upgrade: answered with a refusal that names the version this relay speaks.</summary>
    public const string LegacyPath = "/relay/v1";

    /// <summary>Where version 1 clients fetch the key (still served, so they reach the refusal rather than a 404).</summary>
    public const string LegacyKeyPath = "/relay/v1/key";

    /// <summary>Every handshake frame starts with a type byte and a 32-bit big-endian body length.</summary>
    public const int FrameHeaderLength = 5;

    /// <summary>Every record (after the handshake) starts with its 32-bit big-endian sealed length.</summary>
    public const int RecordHeaderLength = 4;

    /// <summary>
    /// Most frame bytes one record seals. Our choice: a busy writer's batch of 64 packets of 1.4 kB fits, so one AEAD
    /// call covers them all; and a receiver buffers at most this much before it can authenticate anything.
    /// </summary>
    public const int MaxRecordPlaintext = 128 << 10;

    /// <summary>Largest sealed length of a record: its frames and the 16-byte tag.</summary>
    public const int MaxSealedRecord = MaxRecordPlaintext + Weft.Core.Crypto.Aead.TagLength;

    /// <summary>Smallest sealed length of a record: one empty frame and the tag.</summary>
    public const int MinSealedRecord = FrameHeaderLength + Weft.Core.Crypto.Aead.TagLength;

    /// <summary>Largest packet a client may relay: a 64 KiB WireGuard message (GSO-sized) with room to spare.</summary>
    public const int MaxPacketLength = 65535;

    /// <summary>Largest frame body: a forwarded packet with its two keys.</summary>
    public const int MaxFrameBody = MaxPacketLength + 64;

    /// <summary>Largest handshake message (Noise IK message 1 with our 7-byte payload is 103 bytes).</summary>
    public const int MaxHandshakeBody = 256;

    // Our choice: server defaults (each overridable in RelayServerOptions).

    /// <summary>Packets queued towards one client before new ones are dropped. 1024 × 1.4 kB ≈ 1.4 MB, about 10 ms at 1 Gbit/s.</summary>
    public const int DefaultQueuePackets = 1024;

    /// <summary>Packets one sender may hold in one destination's queue, so a flooding sender cannot fill it for everyone.</summary>
    public const int DefaultPerSenderPackets = 256;

    /// <summary>Sustained bytes per second one client may send. 1 Gbit/s.</summary>
    public const long DefaultRateBytesPerSecond = 125_000_000;

    /// <summary>Bytes a client may send in a burst above its rate.</summary>
    public const long DefaultBurstBytes = 4 << 20;

    /// <summary>A connection that has not finished its handshake within this time is closed.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The server sends a keepalive after this much idle time, so NATs and proxies keep the connection.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    /// <summary>A connection silent for this long (three keepalives missed) is dead.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(100);

    /// <summary>Handshakes per second one source address may start (X25519 costs CPU; a flood must not starve others).</summary>
    public const double HandshakesPerSecondPerSource = 20;

    /// <summary>Handshakes one source may start at once before the rate applies.</summary>
    public const double HandshakeBurstPerSource = 40;
}
