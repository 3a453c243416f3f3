namespace Weft.Node.Paths;

/// <summary>Numbers of path discovery: first those our wire format fixes, then the timing we chose.</summary>
public static class PathConstants
{
    // Fixed by our disco format (see DiscoCodec).

    /// <summary>Length of the prefix that tells a disco message from WireGuard (first byte 1–4) and STUN (first two bits 0).</summary>
    public const int MagicLength = 6;

    /// <summary>Length of a ping's or pong's transaction id.</summary>
    public const int TxIdLength = 12;

    /// <summary>Most endpoints one call-me-maybe carries; more would not fit a small datagram and are never useful.</summary>
    public const int MaxCallMeMaybeEndpoints = 32;

    // Our choices.

    /// <summary>How often an active peer's candidates are pinged: often enough that a dead path is noticed within <see cref="TrustDuration"/>.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a direct path stays in use after its last pong: two missed heartbeats and a half, so fallback happens within 3 s.</summary>
    public static readonly TimeSpan TrustDuration = TimeSpan.FromMilliseconds(2500);

    /// <summary>How often the bind re-examines its peers (expiry of trust, heartbeats).</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A peer counts as active (worth probing) this long after the last packet to or from it.</summary>
    public static readonly TimeSpan ActiveWindow = TimeSpan.FromSeconds(45);

    /// <summary>Least time between two call-me-maybe messages to one peer.</summary>
    public static readonly TimeSpan CallMeMaybeInterval = TimeSpan.FromSeconds(5);

    /// <summary>A ping with no pong after this long is forgotten.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Candidates remembered per peer (netmap, call-me-maybe, ping sources); the oldest learned one goes first.</summary>
    public const int MaxCandidates = 32;

    /// <summary>Inbound datagrams queued between the socket, the relay and the engine before new ones are dropped.</summary>
    public const int InboundQueue = 4096;

    /// <summary>How long one birthday attempt (easy side sprays, hard side holds its extra sockets) lasts.</summary>
    public static readonly TimeSpan BirthdayWindow = TimeSpan.FromSeconds(20);

    /// <summary>Pause between birthday attempts for one peer, so a pair that cannot meet costs little.</summary>
    public static readonly TimeSpan BirthdayRetry = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Extra sockets the hard side opens, and guesses the easy side sprays per heartbeat: with 256 mappings open among
    /// ~64,500 ports, each round of 256 guesses hits with probability 1 - e^(-256·256/64512) ≈ 64%, five rounds ≈ 99.4%.
    /// </summary>
    public const int BirthdayPorts = 256;

    /// <summary>Lowest port a sprayed guess targets (Linux NATs keep unprivileged ports unprivileged).</summary>
    public const int BirthdayLowestPort = 1024;

    /// <summary>An initiation younger than this is resent when a direct path appears (WireGuard's own retry comes after 5 s).</summary>
    public static readonly TimeSpan InitiationResendWindow = TimeSpan.FromSeconds(5);

    /// <summary>Length of a WireGuard handshake initiation (message type 1).</summary>
    public const int InitiationLength = 148;
}
