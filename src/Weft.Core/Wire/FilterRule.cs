using System.Text.Json.Serialization;

namespace Weft.Core.Wire;

/// <summary>
/// One packet-filter rule a node enforces on inbound traffic, as the coordination server sends it in the
/// netmap: packets from any of <see cref="Sources"/> to any destination prefix and port range of
/// <see cref="Destinations"/> over one of <see cref="Protocols"/> are accepted. Text prefixes keep the wire
/// form plain JSON; <see cref="PacketFilter"/> parses them once.
/// </summary>
public sealed record FilterRule
{
    /// <summary>Source prefixes in CIDR form ("100.64.0.1/32", "0.0.0.0/0").</summary>
    [JsonPropertyName("src")]
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>Destination prefixes, each with one inclusive port range.</summary>
    [JsonPropertyName("dst")]
    public required IReadOnlyList<FilterDestination> Destinations { get; init; }

    /// <summary>
    /// IANA protocol numbers. Empty means the defaults (TCP, UDP, ICMP, ICMPv6), as Tailscale does;
    /// <see cref="IpProtocol.Any"/> means every protocol.
    /// </summary>
    [JsonPropertyName("proto")]
    public IReadOnlyList<int> Protocols { get; init; } = [];

    /// <summary>A readable one-line form for logs and test failures.</summary>
    public override string ToString()
    {
        var dst = new string[Destinations.Count];
        for (var i = 0; i < dst.Length; i++)
        {
            dst[i] = Destinations[i].ToString();
        }

        var proto = Protocols.Count == 0 ? "default" : string.Join(',', Protocols);
        return $"{string.Join(',', Sources)} -> {string.Join(',', dst)} proto {proto}";
    }
}

/// <summary>A destination prefix with an inclusive port range.</summary>
public sealed record FilterDestination(
    [property: JsonPropertyName("ip")] string Prefix,
    [property: JsonPropertyName("ports")] PortRange Ports)
{
    public override string ToString() => $"{Prefix}:{Ports}";
}

/// <summary>An inclusive range of transport ports; protocols without ports ignore it.</summary>
public readonly record struct PortRange(
    [property: JsonPropertyName("first")] ushort First,
    [property: JsonPropertyName("last")] ushort Last)
{
    /// <summary>Every port, 0 to 65535.</summary>
    public static PortRange All => new(0, ushort.MaxValue);

    /// <summary>True when <paramref name="port"/> lies inside the range.</summary>
    public bool Contains(ushort port) => port >= First && port <= Last;

    public override string ToString() =>
        First == 0 && Last == ushort.MaxValue ? "*" : First == Last ? First.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{First}-{Last}";
}

/// <summary>IP protocol numbers the filter knows by name (IANA "Assigned Internet Protocol Numbers").</summary>
public static class IpProtocol
{
    // From the IANA registry.
    public const int Icmp = 1;
    public const int Igmp = 2;
    public const int IpInIp = 4;
    public const int Tcp = 6;
    public const int Egp = 8;
    public const int Igp = 9;
    public const int Udp = 17;
    public const int Gre = 47;
    public const int Esp = 50;
    public const int Ah = 51;
    public const int IcmpV6 = 58;
    public const int Sctp = 132;

    /// <summary>Our choice: the wildcard value in <see cref="FilterRule.Protocols"/> meaning every protocol.</summary>
    public const int Any = -1;

    /// <summary>The protocols an empty <see cref="FilterRule.Protocols"/> stands for.</summary>
    public static ReadOnlySpan<int> Defaults => [Tcp, Udp, Icmp, IcmpV6];

    /// <summary>True for protocols whose header starts with 16-bit source and destination ports.</summary>
    public static bool HasPorts(int protocol) => protocol is Tcp or Udp or Sctp;
}
