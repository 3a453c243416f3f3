using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

/// <summary>How packets to one peer travel right now, for `weft status` and `weft ping`.</summary>
public sealed record PeerPath(bool IsDirect, UdpEndpoint Direct, TimeSpan? Latency, string Region)
{
    /// <summary>"direct 1.2.3.4:41641" or "relay fra".</summary>
    public override string ToString() => IsDirect ? $"direct {Direct}" : $"relay {Region}";
}
