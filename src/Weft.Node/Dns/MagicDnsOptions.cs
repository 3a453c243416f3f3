using System.Net;

namespace Weft.Node.Dns;

/// <summary>Where the MagicDNS resolver listens and how long it waits for upstreams.</summary>
public sealed class MagicDnsOptions
{
    /// <summary>
    /// Addresses to serve on, each over UDP and TCP. Port 0 picks a free port (the same for UDP and TCP),
    /// which tests use. Defaults to 100.100.100.100:53 and [fd7a:115c:a1e0::53]:53.
    /// </summary>
    public IList<IPEndPoint> ListenEndpoints { get; } =
    [
        new IPEndPoint(IPAddress.Parse(NodeConstants.MagicDnsIPv4), 53),
        new IPEndPoint(IPAddress.Parse(NodeConstants.MagicDnsIPv6), 53),
    ];

    /// <summary>How long one upstream may take to answer before the next is tried (SERVFAIL after the last). Defaults to 2 seconds.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Clock for upstream and TCP idle timeouts. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
