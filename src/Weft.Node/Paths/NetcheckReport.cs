using System.Net;

namespace Weft.Node.Paths;

/// <summary>What `weft netcheck` prints: how this node's UDP reaches the internet and each relay region.</summary>
public sealed record NetcheckReport
{
    /// <summary>At least one STUN server answered over UDP.</summary>
    public bool UdpWorks { get; init; }

    public bool IPv4 { get; init; }

    public bool IPv6 { get; init; }

    /// <summary>Our IPv4 address and port as the first answering server saw them; null when none answered.</summary>
    public IPEndPoint? PublicIPv4 { get; init; }

    public IPEndPoint? PublicIPv6 { get; init; }

    /// <summary>
    /// True when two servers saw different public IPv4 ports or addresses (endpoint-dependent mapping, a "hard" NAT:
    /// direct paths then need the peer to be reachable); null when fewer than two servers answered.
    /// </summary>
    public bool? MappingVariesByDestination { get; init; }

    /// <summary>Lowest STUN round trip per region code; regions that did not answer are absent.</summary>
    public IReadOnlyDictionary<string, TimeSpan> RegionLatency { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>The region with the lowest latency: the home relay; null when none answered.</summary>
    public string? PreferredRegion { get; init; }

    /// <summary>Every answer, for diagnostics.</summary>
    public IReadOnlyList<StunAnswer> Answers { get; init; } = [];
}
