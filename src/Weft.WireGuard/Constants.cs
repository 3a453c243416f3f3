namespace Weft.WireGuard;

/// <summary>WireGuard's numbers: first those the protocol fixes, then those Weft chooses.</summary>
public static class Constants
{
    // From the specification (whitepaper section 6 and the reference implementations).

    /// <summary>After this many messages under one keypair, the initiator starts a new handshake.</summary>
    public const ulong RekeyAfterMessages = 1UL << 60;

    /// <summary>A keypair never sends or accepts a counter at or beyond this.</summary>
    public const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13);

    /// <summary>The initiator rekeys when its current keypair is this old and it sends.</summary>
    public static readonly TimeSpan RekeyAfterTime = TimeSpan.FromSeconds(120);

    /// <summary>Handshake attempts for one burst of traffic stop after this long.</summary>
    public static readonly TimeSpan RekeyAttemptTime = TimeSpan.FromSeconds(90);

    /// <summary>A handshake initiation is retried when unanswered for this long (plus jitter).</summary>
    public static readonly TimeSpan RekeyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of the random jitter added to each retry.</summary>
    public static readonly TimeSpan RekeyTimeoutJitterMax = TimeSpan.FromMilliseconds(334);

    /// <summary>A keypair older than this is useless for sending and receiving.</summary>
    public static readonly TimeSpan RejectAfterTime = TimeSpan.FromSeconds(180);

    /// <summary>A passive keepalive is sent when we received data but sent nothing for this long.</summary>
    public static readonly TimeSpan KeepaliveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A cookie secret (and each cookie) is valid for this long.</summary>
    public static readonly TimeSpan CookieRefreshTime = TimeSpan.FromSeconds(120);

    /// <summary>At most one initiation is consumed per peer within this interval (flood guard).</summary>
    public static readonly TimeSpan HandshakeInitiationRate = TimeSpan.FromMilliseconds(50);

    /// <summary>Noise protocol name hashed into the initial chaining key.</summary>
    public static ReadOnlySpan<byte> NoiseConstruction => "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"u8;

    /// <summary>WireGuard's prologue identifier mixed into the initial hash.</summary>
    public static ReadOnlySpan<byte> NoiseIdentifier => "WireGuard v1 zx2c4 Jason@zx2c4.com"u8;

    /// <summary>Label hashed with the receiver's public key to key mac1.</summary>
    public static ReadOnlySpan<byte> LabelMac1 => "mac1----"u8;

    /// <summary>Label hashed with the receiver's public key to key cookie encryption.</summary>
    public static ReadOnlySpan<byte> LabelCookie => "cookie--"u8;

    /// <summary>A cookie is used for mac2 only while younger than CookieRefreshTime minus this (the kernel's latency margin).</summary>
    public static readonly TimeSpan CookieRefreshMargin = TimeSpan.FromSeconds(5);

    /// <summary>Message type bytes (little-endian u32 with three zero bytes after).</summary>
    public const byte MessageInitiationType = 1;
    public const byte MessageResponseType = 2;
    public const byte MessageCookieReplyType = 3;
    public const byte MessageTransportType = 4;

    /// <summary>Fixed sizes of the handshake messages.</summary>
    public const int MessageInitiationSize = 148;
    public const int MessageResponseSize = 92;
    public const int MessageCookieReplySize = 64;

    /// <summary>type(4) receiver(4) counter(8).</summary>
    public const int MessageTransportHeaderSize = 16;

    /// <summary>Header plus the Poly1305 tag: the size of a keepalive.</summary>
    public const int MessageTransportSize = MessageTransportHeaderSize + 16;

    /// <summary>Offset of the counter within a transport message.</summary>
    public const int MessageTransportOffsetCounter = 8;

    /// <summary>Offset of the ciphertext within a transport message.</summary>
    public const int MessageTransportOffsetContent = 16;

    /// <summary>Plaintext is zero-padded to a multiple of this before encryption.</summary>
    public const int PaddingMultiple = 16;

    // Our choices.

    /// <summary>Largest IP packet or UDP datagram handled; also the size of every pooled buffer's payload area.</summary>
    public const int MaxSegmentSize = 65535;

    /// <summary>Headroom before a packet in a buffer: room for the transport header so encryption works in place.</summary>
    public const int MessageOffset = MessageTransportHeaderSize;

    /// <summary>Bytes of each pooled buffer: headroom, the largest packet and the tag.</summary>
    public const int BufferSize = MessageOffset + MaxSegmentSize + 16;

    /// <summary>Default MTU of a weft interface, the same as wireguard-go's.</summary>
    public const int DefaultMtu = 1420;

    /// <summary>Width of the sliding replay window in packets (the Linux kernel uses 8192 minus a word).</summary>
    public const int ReplayWindowSize = 8192;

    /// <summary>Peers a device may hold.</summary>
    public const int MaxPeers = 1 << 16;

    /// <summary>Packets waiting for a handshake per peer; older ones are dropped first.</summary>
    public const int MaxStagedPackets = 128;

    /// <summary>Handshake messages queued for processing before new ones are dropped (and counted).</summary>
    public const int MaxQueuedHandshakes = 4096;

    /// <summary>Queued handshakes above which the device considers itself under load and answers with cookies.</summary>
    public const int UnderLoadQueueSize = MaxQueuedHandshakes / 8;

    /// <summary>Once under load, the device stays so for this long after the queue drains.</summary>
    public static readonly TimeSpan UnderLoadAfterTime = TimeSpan.FromSeconds(1);

    /// <summary>Handshake messages per second each source address may have processed under load (the reference's rate).</summary>
    public const int HandshakesPerSecondPerSource = 20;

    /// <summary>Handshake messages a quiet source may send back to back under load.</summary>
    public const int HandshakeBurstPerSource = 5;

    /// <summary>Sources the handshake rate limiter tracks; beyond this new sources are refused until old ones expire.</summary>
    public const int RateLimiterMaxSources = 1 << 16;

    /// <summary>A rate-limiter entry unused for this long is forgotten (its bucket would be full again anyway).</summary>
    public static readonly TimeSpan RateLimiterEntryLifetime = TimeSpan.FromSeconds(1);
}
