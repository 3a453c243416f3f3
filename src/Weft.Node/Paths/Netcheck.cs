using System.Net;
using System.Net.Sockets;
using Weft.Core.Control;

namespace Weft.Node.Paths;

/// <summary>
/// Measures the node's connectivity against the relay map's STUN servers (Tailscale's netcheck, our own code): asks
/// every server of every region at once through the node's own socket, then derives the report.
/// </summary>
public static class Netcheck
{
    /// <summary>Asks one STUN server; null when it did not answer.</summary>
    public delegate Task<StunAnswer?> StunQuery(IPEndPoint server, CancellationToken ct);

    /// <summary>Queries every STUN server of <paramref name="map"/> through <paramref name="query"/> and builds the report.</summary>
    public static async Task<NetcheckReport> RunAsync(RelayMap map, StunQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(query);
        var asks = new List<(string Region, Task<StunAnswer?> Answer)>();
        foreach (var region in map.Regions)
        {
            foreach (var relay in region.Relays)
            {
                foreach (var server in await ServersAsync(relay, ct).ConfigureAwait(false))
                {
                    asks.Add((region.Code, query(server, ct)));
                }
            }
        }
        var latency = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var answers = new List<StunAnswer>();
        foreach (var (region, task) in asks)
        {
            var answer = await task.ConfigureAwait(false);
            if (answer is null)
            {
                continue;
            }
            answers.Add(answer);
            if (!latency.TryGetValue(region, out var best) || answer.RoundTrip < best)
            {
                latency[region] = answer.RoundTrip;
            }
        }
        return Build(answers, latency);
    }

    /// <summary>Derives the report from the answers (separate so the NAT reasoning is testable without sockets).</summary>
    public static NetcheckReport Build(IReadOnlyList<StunAnswer> answers, IReadOnlyDictionary<string, TimeSpan> latency)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(latency);
        IPEndPoint? v4 = null;
        IPEndPoint? v6 = null;
        bool? varies = null;
        var v4Servers = new HashSet<IPEndPoint>();
        foreach (var answer in answers)
        {
            var mapped = Normalize(answer.Mapped);
            if (mapped.AddressFamily == AddressFamily.InterNetworkV6)
            {
                v6 ??= mapped;
                continue;
            }
            if (!v4Servers.Add(Normalize(answer.Server)))
            {
                continue;
            }
            if (v4 is null)
            {
                v4 = mapped;
                continue;
            }
            varies = (varies ?? false) || !mapped.Equals(v4);
        }
        string? preferred = null;
        foreach (var (region, rtt) in latency)
        {
            if (preferred is null || rtt < latency[preferred] || rtt == latency[preferred] && string.CompareOrdinal(region, preferred) < 0)
            {
                preferred = region;
            }
        }
        return new NetcheckReport
        {
            UdpWorks = answers.Count > 0,
            IPv4 = v4 is not null,
            IPv6 = v6 is not null,
            PublicIPv4 = v4,
            PublicIPv6 = v6,
            MappingVariesByDestination = varies,
            RegionLatency = latency,
            PreferredRegion = preferred,
            Answers = answers,
        };
    }

    private static async Task<List<IPEndPoint>> ServersAsync(RelayNode relay, CancellationToken ct)
    {
        var servers = new List<IPEndPoint>();
        if (relay.StunPort is <= 0 or > ushort.MaxValue)
        {
            return servers;
        }
        var host = relay.StunHost;
        if (host.Length == 0 && Uri.TryCreate(relay.Url, UriKind.Absolute, out var url))
        {
            host = url.IdnHost;
        }
        if (host.Length == 0)
        {
            return servers;
        }
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await System.Net.Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // An unresolvable STUN host is just a server that did not answer.
                return servers;
            }
        }
        foreach (var address in addresses)
        {
            servers.Add(new IPEndPoint(address, relay.StunPort));
        }
        return servers;
    }

    private static IPEndPoint Normalize(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
