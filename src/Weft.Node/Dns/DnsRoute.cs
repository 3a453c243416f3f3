using System.Net;

namespace Weft.Node.Dns;

/// <summary>Where queries under one suffix go: the upstream nameservers, tried in order.</summary>
internal sealed class DnsRoute
{
    public DnsRoute(string suffix, IReadOnlyList<IPEndPoint> upstreams)
    {
        Suffix = suffix;
        Upstreams = upstreams;
    }

    /// <summary>Canonical suffix ("" for the default route).</summary>
    public string Suffix { get; }

    public IReadOnlyList<IPEndPoint> Upstreams { get; }

    /// <summary>
    /// Parses a configured nameserver: "IP", "IP:port" or "[IPv6]:port"; port 53 when none is given.
    /// Returns null for anything else (DNS-over-HTTPS URLs are not supported yet).
    /// </summary>
    public static IPEndPoint? ParseNameserver(string text)
    {
        var trimmed = text.Trim();
        if (IPAddress.TryParse(trimmed, out var address))
        {
            return new IPEndPoint(address, 53);
        }
        if (IPEndPoint.TryParse(trimmed, out var endpoint))
        {
            return endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint;
        }
        return null;
    }
}
