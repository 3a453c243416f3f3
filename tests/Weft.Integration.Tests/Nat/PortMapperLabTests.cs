using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Lab;
using Weft.Lab.Nat;
using Weft.Node.PortMapping;

namespace Weft.Integration.Tests.Nat;

/// <summary>
/// The port mapper against Debian's miniupnpd on a lab router, once per protocol (PCP, NAT-PMP, UPnP IGD): the
/// mapping appears in nftables and carries UDP from the internet in.
/// </summary>
public sealed class PortMapperLabTests
{
    private const ushort NodePort = 41641;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(PortMappingProtocol.Pcp)]
    [InlineData(PortMappingProtocol.NatPmp)]
    [InlineData(PortMappingProtocol.Upnp)]
    public async Task Miniupnpd_Map_ForwardsUdpFromTheInternetAndDisposeRemovesIt(PortMappingProtocol protocol)
    {
        LabRequirements.EnsureOrSkip();
        NatLabTests.EnsureMiniupnpdOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("upnp", NatKind.Upnp);
        var host = site.Hosts[0];
        var address = IPAddress.Parse(host.Address);
        using var node = host.Namespace.CreateUdpSocket(new IPEndPoint(address, NodePort));
        var mapper = new PortMapper(
            new PortMapperOptions
            {
                Gateway = IPAddress.Parse(site.LanAddress),
                InternalPort = NodePort,
                // miniupnpd speaks all three: force the one under test. Without our address PCP cannot be asked at all.
                Protocols = protocol switch
                {
                    PortMappingProtocol.Pcp => PortMappingServices.All,
                    PortMappingProtocol.NatPmp => PortMappingServices.NatPmp,
                    _ => PortMappingServices.Upnp,
                },
                ClientAddress = protocol == PortMappingProtocol.NatPmp ? null : address,
                SocketFactory = () => host.Namespace.CreateUdpSocket(new IPEndPoint(address, 0)),
                TcpSocketFactory = () => host.Namespace.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(address, 0)),
            },
            TimeProvider.System,
            NullLogger<PortMapper>.Instance);
        var ct = TestContext.Current.CancellationToken;

        var services = await mapper.ProbeAsync(ct);
        var lease = await mapper.MapAsync(ct);

        var expected = protocol switch
        {
            PortMappingProtocol.Pcp => PortMappingServices.Pcp | PortMappingServices.NatPmp | PortMappingServices.Upnp,
            PortMappingProtocol.NatPmp => PortMappingServices.NatPmp,
            _ => PortMappingServices.Upnp,
        };
        Assert.Equal(expected, services);
        Assert.True(lease is not null, "no mapping; miniupnpd said:\n" + site.MiniUpnpd?.Output);
        Assert.Equal(protocol, lease.Protocol);
        Assert.Equal(IPAddress.Parse(site.WanAddress), lease.External.Address);
        var port = lease.External.Port.ToString(CultureInfo.InvariantCulture);
        Assert.Contains($"dport {port}", await site.ListRulesetAsync(), StringComparison.Ordinal);

        using var outsider = nat.Internet.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), 0));
        await outsider.SendToAsync("through the mapping"u8.ToArray(), lease.External, ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HangGuard);
        var buffer = new byte[64];
        var received = await node.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        Assert.Equal("through the mapping", System.Text.Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes));

        await mapper.DisposeAsync();

        Assert.DoesNotContain($"dport {port}", await site.ListRulesetAsync(), StringComparison.Ordinal);
        Assert.Equal(0, mapper.Counters.ForeignSource + mapper.Counters.WrongNonce + mapper.Counters.Malformed);
        Assert.Equal(0, mapper.Counters.UpnpMalformed + mapper.Counters.UpnpFaults + mapper.Counters.UpnpRefused);
    }

    [Fact]
    public async Task Miniupnpd_TwoHostsWantTheSamePort_SecondGetsAnotherAndBothForward()
    {
        LabRequirements.EnsureOrSkip();
        NatLabTests.EnsureMiniupnpdOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("upnp", NatKind.Upnp, hosts: 2);
        var ct = TestContext.Current.CancellationToken;
        var nodes = new List<System.Net.Sockets.Socket>();
        var leases = new List<PortMappingLease>();
        var mappers = new List<PortMapper>();
        try
        {
            foreach (var host in site.Hosts)
            {
                var address = IPAddress.Parse(host.Address);
                nodes.Add(host.Namespace.CreateUdpSocket(new IPEndPoint(address, NodePort)));
                var mapper = new PortMapper(
                    new PortMapperOptions
                    {
                        Gateway = IPAddress.Parse(site.LanAddress),
                        InternalPort = NodePort,
                        Protocols = PortMappingServices.Upnp,
                        // No client address: UPnP takes it from its HTTP connection to the gateway.
                        SocketFactory = () => host.Namespace.CreateUdpSocket(new IPEndPoint(address, 0)),
                        TcpSocketFactory = () => host.Namespace.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(address, 0)),
                    },
                    TimeProvider.System,
                    NullLogger<PortMapper>.Instance);
                mappers.Add(mapper);
                var lease = await mapper.MapAsync(ct);
                Assert.True(lease is not null, "no mapping; miniupnpd said:\n" + site.MiniUpnpd?.Output);
                leases.Add(lease);
            }

            // Both asked for their own port number; miniupnpd refused the second with 718 ConflictInEntry.
            Assert.Equal(NodePort, leases[0].External.Port);
            Assert.NotEqual(NodePort, leases[1].External.Port);
            Assert.Equal(1, mappers[1].Counters.UpnpFaults);
            using var outsider = nat.Internet.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), 0));
            for (var i = 0; i < 2; i++)
            {
                var text = "to host " + i.ToString(CultureInfo.InvariantCulture);
                await outsider.SendToAsync(System.Text.Encoding.ASCII.GetBytes(text), leases[i].External, ct);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(HangGuard);
                var buffer = new byte[64];
                var received = await nodes[i].ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                Assert.Equal(text, System.Text.Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes));
            }
        }
        finally
        {
            foreach (var mapper in mappers)
            {
                await mapper.DisposeAsync();
            }
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }
}
