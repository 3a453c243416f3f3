using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Lab;
using Weft.Lab.Nat;
using Weft.Node.PortMapping;

namespace Weft.Integration.Tests.Nat;

/// <summary>The port mapper against Debian's miniupnpd on a lab router: the mapping appears in nftables and carries UDP from the internet in.</summary>
public sealed class PortMapperLabTests
{
    private const ushort NodePort = 41641;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(PortMappingProtocol.Pcp)]
    [InlineData(PortMappingProtocol.NatPmp)]
    public async Task Miniupnpd_Map_ForwardsUdpFromTheInternetAndDisposeRemovesIt(PortMappingProtocol protocol)
    {
        LabRequirements.EnsureOrSkip();
        NatLabTests.EnsureMiniupnpdOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("upnp", NatKind.Upnp);
        var host = site.Hosts[0];
        using var node = host.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(host.Address), NodePort));
        var mapper = new PortMapper(
            new PortMapperOptions
            {
                Gateway = IPAddress.Parse(site.LanAddress),
                InternalPort = NodePort,
                // Without our address PCP cannot be asked, so the mapper goes straight to NAT-PMP.
                ClientAddress = protocol == PortMappingProtocol.Pcp ? IPAddress.Parse(host.Address) : null,
                SocketFactory = () => host.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(host.Address), 0)),
            },
            TimeProvider.System,
            NullLogger<PortMapper>.Instance);
        var ct = TestContext.Current.CancellationToken;

        var services = await mapper.ProbeAsync(ct);
        var lease = await mapper.MapAsync(ct);

        Assert.True(services.HasFlag(PortMappingServices.NatPmp), services.ToString());
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
    }
}
