using System.Net;
using System.Net.Sockets;

namespace Weft.Node.PortMapping;

/// <summary>Where the gateway is, which port to map and how patiently to ask.</summary>
public sealed class PortMapperOptions
{
    /// <summary>The default gateway (the router that would map the port).</summary>
    public required IPAddress Gateway { get; init; }

    /// <summary>The gateway's NAT-PMP/PCP port (5351; tests point it at a fake).</summary>
    public int GatewayPort { get; init; } = PortMappingCodec.ServerPort;

    /// <summary>Our UDP port to be reachable on (the WireGuard/disco socket's port).</summary>
    public required ushort InternalPort { get; init; }

    /// <summary>
    /// Our LAN address as the gateway sees it; PCP needs it in every request, so without it PCP is skipped. UPnP names it
    /// as the mapping's internal client; without it UPnP uses the local address of its HTTP connection to the gateway.
    /// </summary>
    public IPAddress? ClientAddress { get; init; }

    /// <summary>Lifetime to ask for. RFC 6886 recommends 7200 s; the mapping is renewed at half of what the gateway grants.</summary>
    public uint LifetimeSeconds { get; init; } = 7200;

    /// <summary>First retransmission timeout; it doubles per attempt (RFC 6886 §3.1 starts at 250 ms).</summary>
    public TimeSpan InitialTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Sends per request before the gateway counts as not offering the protocol. Our choice: 3 (250+500+1000 ms).</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>After a failed renewal, how long until the next try (while the old mapping has not expired).</summary>
    public TimeSpan RenewalRetry { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Creates the UDP sockets requests are sent from: one for NAT-PMP/PCP, one per SSDP search (default: IPv4, any
    /// address, ephemeral port). Tests create them inside a lab namespace.
    /// </summary>
    public Func<Socket>? SocketFactory { get; init; }

    /// <summary>Which protocols may be used. Defaults to all: PCP, then NAT-PMP, then UPnP IGD.</summary>
    public PortMappingServices Protocols { get; init; } = PortMappingServices.All;

    /// <summary>Where SSDP searches go. Defaults to the SSDP multicast group 239.255.255.250:1900; tests point it at a fake on loopback.</summary>
    public IPEndPoint SsdpEndPoint { get; init; } = Ssdp.MulticastEndPoint;

    /// <summary>
    /// How long SSDP discovery waits for gateways to answer (the search is sent twice, at the start and half-way).
    /// Defaults to 2 s: devices answer within the 1 s MX window we ask for, plus slack for a busy router.
    /// </summary>
    public TimeSpan UpnpDiscoveryTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Limit on each UPnP HTTP exchange (description fetch, SOAP action). Defaults to 5 s; our choice.</summary>
    public TimeSpan UpnpRequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Creates an unconnected TCP socket for UPnP's HTTP requests (default: IPv4, unbound). Tests create it inside a lab namespace.</summary>
    public Func<Socket>? TcpSocketFactory { get; init; }

    /// <summary>The description UPnP mappings carry, shown in the router's mapping list. Defaults to "weft".</summary>
    public string MappingDescription { get; init; } = "weft";
}
