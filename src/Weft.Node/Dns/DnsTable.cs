using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Weft.Core.Control;
using ControlNode = Weft.Core.Control.Node;

namespace Weft.Node.Dns;

/// <summary>
/// One immutable snapshot of what the resolver knows: MagicDNS names and their addresses, reverse
/// entries, search domains and forwarding routes. <see cref="MagicDns.Update"/> builds a new one and
/// swaps it in, so the query path reads it without locks.
/// </summary>
internal sealed class DnsTable
{
    private readonly Dictionary<string, DnsHost> _hosts;
    private readonly Dictionary<string, DnsHost>.AlternateLookup<ReadOnlySpan<char>> _hostsBySpan;
    private readonly Dictionary<uint, DnsHost> _byIPv4;
    private readonly Dictionary<UInt128, DnsHost> _byIPv6;
    private readonly DnsRoute[] _splitRoutes; // longest suffix first

    private DnsTable(
        bool magicDns,
        string domain,
        string[] searchDomains,
        Dictionary<string, DnsHost> hosts,
        Dictionary<uint, DnsHost> byIPv4,
        Dictionary<UInt128, DnsHost> byIPv6,
        IPNetwork? ipv6Range,
        DnsRoute defaultRoute,
        DnsRoute[] splitRoutes)
    {
        MagicDnsEnabled = magicDns;
        Domain = domain;
        DomainWire = DnsName.Encode(domain) ?? [0];
        SearchDomains = searchDomains;
        _hosts = hosts;
        _hostsBySpan = hosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _byIPv4 = byIPv4;
        _byIPv6 = byIPv6;
        IPv6Range = ipv6Range;
        if (ipv6Range is { } range)
        {
            IPv6ZoneWire = DnsName.Encode(ReverseZone(range)) ?? [0];
        }
        DefaultRoute = defaultRoute;
        _splitRoutes = splitRoutes;
    }

    /// <summary>A table that answers nothing and forwards nowhere: the state before the first netmap.</summary>
    public static DnsTable Empty { get; } = new(false, "", [], [], [], [], null, new DnsRoute("", []), []);

    public bool MagicDnsEnabled { get; }

    /// <summary>The tailnet domain, canonical ("" when unknown).</summary>
    public string Domain { get; }

    public byte[] DomainWire { get; }

    /// <summary>Domains tried, in order, for single-label names (the tailnet domain first).</summary>
    public string[] SearchDomains { get; }

    /// <summary>The tailnet's IPv6 /48 (from self's address), whose reverse names we answer for.</summary>
    public IPNetwork? IPv6Range { get; }

    public byte[] IPv6ZoneWire { get; } = [0];

    /// <summary>The owner name of the SOA we give with negative answers for unknown 100.64.0.0/10 addresses.</summary>
    public static byte[] IPv4ZoneWire { get; } = DnsName.Encode("100.in-addr.arpa")!;

    public DnsRoute DefaultRoute { get; }

    /// <summary>Whether this snapshot has already said, once, that it has no upstreams (keeps the log readable under load).</summary>
    public int NoUpstreamLogged;

    public int HostCount => _hosts.Count;

    /// <summary>Looks up a canonical name.</summary>
    public DnsHost? Find(ReadOnlySpan<char> name) => _hostsBySpan.TryGetValue(name, out var host) ? host : null;

    public DnsHost? FindByIPv4(uint address) => _byIPv4.GetValueOrDefault(address);

    public DnsHost? FindByIPv6(UInt128 address) => _byIPv6.GetValueOrDefault(address);

    /// <summary>Whether an IPv4 address lies in 100.64.0.0/10, the shared address space tailnet addresses come from (RFC 6598).</summary>
    public static bool IsTailnetIPv4(uint address) => (address & 0xFFC00000) == 0x64400000;

    public bool IsTailnetIPv6(UInt128 address)
    {
        if (IPv6Range is not { } range)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return range.Contains(new IPAddress(bytes));
    }

    /// <summary>Whether both tables send every name to the same upstreams (so cached upstream replies stay valid).</summary>
    public bool SameRoutes(DnsTable other)
    {
        if (!SameUpstreams(DefaultRoute, other.DefaultRoute) || _splitRoutes.Length != other._splitRoutes.Length)
        {
            return false;
        }
        for (var i = 0; i < _splitRoutes.Length; i++)
        {
            if (_splitRoutes[i].Suffix != other._splitRoutes[i].Suffix || !SameUpstreams(_splitRoutes[i], other._splitRoutes[i]))
            {
                return false;
            }
        }
        return true;

        static bool SameUpstreams(DnsRoute a, DnsRoute b) => a.Upstreams.SequenceEqual(b.Upstreams);
    }

    /// <summary>The route for a canonical name: the longest matching split-DNS suffix, else the default.</summary>
    public DnsRoute RouteFor(ReadOnlySpan<char> name)
    {
        foreach (var route in _splitRoutes)
        {
            if (DnsName.IsAtOrBelow(name, route.Suffix))
            {
                return route;
            }
        }
        return DefaultRoute;
    }

    /// <summary>Builds a table from the netmap; <paramref name="problems"/> collects what had to be skipped.</summary>
    /// <param name="ownEndpoints">Where this resolver listens: never an upstream, or every query would loop through it.</param>
    public static DnsTable Build(DnsConfig? config, ControlNode self, IEnumerable<ControlNode> peers, List<string> problems, IReadOnlyCollection<IPEndPoint>? ownEndpoints = null)
    {
        ownEndpoints ??= [];
        var magicDns = config is { MagicDns: true };
        var domain = config is null ? "" : DnsName.Canonical(config.Domain);
        if (domain.Length > 0 && DnsName.Encode(domain) is null)
        {
            problems.Add($"tailnet domain \"{config!.Domain}\" is not a valid DNS name; MagicDNS is off");
            magicDns = false;
            domain = "";
        }

        var search = new List<string>();
        if (domain.Length > 0)
        {
            search.Add(domain);
        }
        foreach (var entry in config?.SearchDomains ?? [])
        {
            var canonical = DnsName.Canonical(entry);
            if (canonical.Length == 0 || DnsName.Encode(canonical) is null)
            {
                problems.Add($"search domain \"{entry}\" is not a valid DNS name; skipped");
            }
            else if (!search.Contains(canonical))
            {
                search.Add(canonical);
            }
        }

        var hosts = new Dictionary<string, DnsHost>(StringComparer.Ordinal);
        var byIPv4 = new Dictionary<uint, DnsHost>();
        var byIPv6 = new Dictionary<UInt128, DnsHost>();
        IPNetwork? ipv6Range = null;
        Span<byte> prefix = stackalloc byte[16];
        if (magicDns)
        {
            AddHost(self, domain, hosts, byIPv4, byIPv6, problems);
            foreach (var peer in peers)
            {
                AddHost(peer, domain, hosts, byIPv4, byIPv6, problems);
            }
            foreach (var text in self.Addresses)
            {
                if (ParseAddress(text) is { AddressFamily: AddressFamily.InterNetworkV6 } address)
                {
                    // Tailnet IPv6 addresses share one ULA /48: its reverse zone is ours.
                    address.TryWriteBytes(prefix, out _);
                    prefix[6..].Clear();
                    ipv6Range = new IPNetwork(new IPAddress(prefix), 48);
                }
            }
        }

        var defaultRoute = new DnsRoute("", ParseNameservers(config?.Nameservers ?? [], ownEndpoints, problems));
        var split = new List<DnsRoute>();
        foreach (var (suffix, servers) in config?.SplitDns ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            var canonical = DnsName.Canonical(suffix);
            if (canonical.Length == 0 || DnsName.Encode(canonical) is null)
            {
                problems.Add($"split DNS suffix \"{suffix}\" is not a valid DNS name; skipped");
                continue;
            }
            split.Add(new DnsRoute(canonical, ParseNameservers(servers, ownEndpoints, problems)));
        }
        split.Sort((a, b) => b.Suffix.Length != a.Suffix.Length ? b.Suffix.Length.CompareTo(a.Suffix.Length) : string.CompareOrdinal(a.Suffix, b.Suffix));

        return new DnsTable(magicDns, domain, [.. search], hosts, byIPv4, byIPv6, ipv6Range, defaultRoute, [.. split]);
    }

    private static void AddHost(ControlNode node, string domain, Dictionary<string, DnsHost> hosts, Dictionary<uint, DnsHost> byIPv4, Dictionary<UInt128, DnsHost> byIPv6, List<string> problems)
    {
        var fqdn = DnsName.Canonical(node.Fqdn);
        if (fqdn.Length == 0 && domain.Length > 0)
        {
            fqdn = DnsName.Canonical(node.Name) + "." + domain;
        }
        var wire = DnsName.Encode(fqdn);
        if (fqdn.Length == 0 || wire is null)
        {
            problems.Add($"node {node.Id} has no valid DNS name (\"{node.Fqdn}\"); not in MagicDNS");
            return;
        }
        var v4 = new List<byte>();
        var v6 = new List<byte>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var text in node.Addresses)
        {
            var address = ParseAddress(text);
            if (address is null || !address.TryWriteBytes(bytes, out var written))
            {
                problems.Add($"node {node.Id} ({fqdn}) has an unreadable address \"{text}\"; skipped");
                continue;
            }
            (written == 4 ? v4 : v6).AddRange(bytes[..written]);
        }
        var host = new DnsHost(fqdn, wire, [.. v4], [.. v6]);
        if (!hosts.TryAdd(fqdn, host))
        {
            problems.Add($"two nodes claim {fqdn}; node {node.Id} is not in MagicDNS");
            return;
        }
        for (var i = 0; i < host.IPv4.Length; i += 4)
        {
            byIPv4.TryAdd(BinaryPrimitives.ReadUInt32BigEndian(host.IPv4.AsSpan(i)), host);
        }
        for (var i = 0; i < host.IPv6.Length; i += 16)
        {
            byIPv6.TryAdd(BinaryPrimitives.ReadUInt128BigEndian(host.IPv6.AsSpan(i)), host);
        }
    }

    private static IPAddress? ParseAddress(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return IPAddress.TryParse(slash < 0 ? text : text[..slash], out var address) ? address : null;
    }

    private static IPEndPoint[] ParseNameservers(IEnumerable<string> servers, IReadOnlyCollection<IPEndPoint> ownEndpoints, List<string> problems)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var server in servers)
        {
            if (DnsRoute.ParseNameserver(server) is { } endpoint)
            {
                if (ownEndpoints.Contains(endpoint))
                {
                    problems.Add($"nameserver {endpoint} is this resolver itself; skipped (forwarding to it would loop)");
                    continue;
                }
                endpoints.Add(endpoint);
            }
            else
            {
                problems.Add($"nameserver \"{server}\" is not IP[:port]; skipped (DNS over HTTPS is not supported yet)");
            }
        }
        return [.. endpoints];
    }

    /// <summary>"x.x.x.ip6.arpa" for a network whose prefix length is a multiple of 4.</summary>
    private static string ReverseZone(IPNetwork network)
    {
        Span<byte> bytes = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(bytes, out _);
        var nibbles = network.PrefixLength / 4;
        var labels = new List<string>();
        for (var i = nibbles - 1; i >= 0; i--)
        {
            var b = bytes[i / 2];
            var nibble = i % 2 == 0 ? b >> 4 : b & 0xF;
            labels.Add(nibble.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }
        labels.Add("ip6");
        labels.Add("arpa");
        return string.Join('.', labels);
    }
}
