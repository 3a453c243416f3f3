using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

/// <summary>
/// Path state of one peer inside <see cref="MagicBind"/>: its candidate direct endpoints, pings in flight, the
/// replay window of its disco messages, and the path the data plane uses now (<see cref="Current"/>).
/// </summary>
internal sealed class MagicPeer
{
    /// <summary>The path when no direct one is trusted: the relay.</summary>
    public static readonly PathChoice Relayed = new(default, TimeSpan.Zero, null);

    public MagicPeer(NodePublic nodeKey, DiscoPublic discoKey, Key32 sharedKey, UdpEndpoint synthetic)
    {
        NodeKey = nodeKey;
        DiscoKey = discoKey;
        SharedKey = sharedKey;
        Synthetic = synthetic;
    }

    public NodePublic NodeKey { get; }

    public DiscoPublic DiscoKey { get; }

    /// <summary>False until the peer's disco key is known: then it is reached through the relay only, without probing.</summary>
    public bool HasDisco => DiscoKey != default;

    /// <summary>The disco key of the pair (see <see cref="DiscoCodec"/>).</summary>
    public Key32 SharedKey { get; }

    /// <summary>The stable endpoint WireGuard knows this peer by.</summary>
    public UdpEndpoint Synthetic { get; }

    /// <summary>Read lock-free by the data path; replaced (under <see cref="Gate"/>) only when the path changes.</summary>
    public volatile PathChoice Current = Relayed;

    /// <summary>Timestamp of the last packet to or from the peer; written without the lock (a stale read only delays a probe).</summary>
    public long LastActive;

    /// <summary>Gate guards every field below.</summary>
    public readonly Lock Gate = new();

    public readonly List<Candidate> Candidates = [];

    public readonly Dictionary<UInt128, PendingPing> Pending = [];

    public readonly ReplayWindow Replay = new();

    public long LastProbe;

    public long LastCallMeMaybe;

    /// <summary>The latest round trip through the relay, when a relayed ping was answered.</summary>
    public TimeSpan? RelayLatency;

    /// <summary>The peer reported a hard NAT (its mapping varies by destination): with an easy NAT here, we spray it.</summary>
    public bool HardNat;

    /// <summary>A copy of WireGuard's last handshake initiation to this peer, resent when a direct path appears soon after.</summary>
    public byte[]? LastInitiation;

    /// <summary>When <see cref="LastInitiation"/> was sent; 0 once resent or never.</summary>
    public long LastInitiationAt;

    /// <summary>The peer holds a router port mapping: its mapped endpoint takes anyone's pings, so no birthday probing.</summary>
    public bool PortMapped;

    /// <summary>When the current (or last) birthday attempt began; 0 when none was made.</summary>
    public long BirthdayStarted;

    /// <summary>Sockets for an attempt are being opened (off the data path).</summary>
    public bool BirthdayOpening;

    /// <summary>The <see cref="BirthdayStarted"/> of the attempt whose sockets were opened.</summary>
    public long BirthdayOpenedFor;

    /// <summary>Our extra sockets for this peer while we are the hard side of an attempt (and the winner after it).</summary>
    public List<ProbeSocket>? BirthdaySockets;

    /// <summary>
    /// Caller holds <see cref="Gate"/>. Adds an endpoint (reached from our main socket, or from a birthday socket
    /// <paramref name="via"/>) unless known; false when it was known.
    /// </summary>
    public bool AddCandidate(UdpEndpoint endpoint, bool fromNetmap, ProbeSocket? via = null)
    {
        foreach (var candidate in Candidates)
        {
            if (candidate.Endpoint == endpoint && candidate.Via == via)
            {
                candidate.FromNetmap |= fromNetmap;
                return false;
            }
        }
        if (Candidates.Count >= PathConstants.MaxCandidates)
        {
            var oldest = Candidates.FindIndex(c => !c.FromNetmap);
            if (oldest < 0)
            {
                return false;
            }
            Candidates.RemoveAt(oldest);
        }
        Candidates.Add(new Candidate(endpoint, via) { FromNetmap = fromNetmap });
        return true;
    }

    /// <summary>
    /// Caller holds <see cref="Gate"/>. Picks the lowest-latency candidate whose last pong is younger than
    /// <see cref="PathConstants.TrustDuration"/>, else the relay; returns true when the choice changed.
    /// </summary>
    public bool Choose(TimeProvider time)
    {
        Candidate? best = null;
        foreach (var candidate in Candidates)
        {
            if (candidate.LastPong != 0 && time.GetElapsedTime(candidate.LastPong) <= PathConstants.TrustDuration
                && (best is null || candidate.Latency < best.Latency))
            {
                best = candidate;
            }
        }
        var current = Current;
        if (best is null)
        {
            Current = Relayed;
            return current.IsDirect;
        }
        if (best.Endpoint == current.Direct && best.Via == current.Via)
        {
            if (best.Latency != current.Latency)
            {
                // A new measurement on the same path: shown by status, nothing for the data path to notice.
                Current = new PathChoice(best.Endpoint, best.Latency, best.Via);
            }
            return false;
        }
        Current = new PathChoice(best.Endpoint, best.Latency, best.Via);
        return true;
    }
}

/// <summary>A path for the data plane: a direct endpoint (from the main socket, or a birthday socket <see cref="Via"/>), or (empty <see cref="Direct"/>) the relay.</summary>
internal sealed record PathChoice(UdpEndpoint Direct, TimeSpan Latency, ProbeSocket? Via)
{
    public bool IsDirect => !Direct.IsEmpty;
}

/// <summary>One endpoint a peer might be reached at directly, from our main socket or from birthday socket <see cref="Via"/>.</summary>
internal sealed class Candidate(UdpEndpoint endpoint, ProbeSocket? via)
{
    public UdpEndpoint Endpoint { get; } = endpoint;

    public ProbeSocket? Via { get; } = via;

    /// <summary>Listed by the netmap (kept when learned ones are evicted).</summary>
    public bool FromNetmap { get; set; }

    /// <summary>Timestamp of the last pong from here; 0 when none.</summary>
    public long LastPong { get; set; }

    public TimeSpan Latency { get; set; } = TimeSpan.MaxValue;
}

/// <summary>
/// A ping waiting for its pong: where it went (empty for the relay), when, from which birthday socket (null: the main
/// socket), and whether it was a sprayed guess (its endpoint becomes a candidate only when answered).
/// </summary>
internal readonly record struct PendingPing(UdpEndpoint To, long SentAt, ProbeSocket? Via = null, bool Spray = false);
