using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Node.PortMapping;

namespace Weft.Node.Tests.PortMapping;

/// <summary>The port mapper's UPnP IGD leg against a fake gateway on loopback: discovery, mapping, faults, hostile answers, renewal and delete.</summary>
public sealed class UpnpPortMapperTests
{
    private const ushort NodePort = 41641;
    private static readonly IPAddress External = IPAddress.Parse("203.0.113.7");
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Map_AddsUdpMappingForOurPortAndDisposeDeletesIt()
    {
        await using var igd = new FakeIgd();
        var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(lease);
        Assert.Equal(PortMappingProtocol.Upnp, lease.Protocol);
        Assert.Equal(new IPEndPoint(External, NodePort), lease.External);
        Assert.Equal(TimeSpan.FromHours(2), lease.Lifetime);
        var mapping = Assert.Single(igd.Mappings).Value;
        Assert.Equal("UDP", mapping["NewProtocol"]);
        Assert.Equal("41641", mapping["NewInternalPort"]);
        // No client address configured: the local end of the HTTP connection names us.
        Assert.Equal("127.0.0.1", mapping["NewInternalClient"]);
        Assert.Equal("7200", mapping["NewLeaseDuration"]);
        Assert.Equal("weft", mapping["NewPortMappingDescription"]);
        Assert.Equal(FakeIgd.ServiceType + "#AddPortMapping", igd.Actions("AddPortMapping").Single().Headers["SOAPAction"].Trim('"'));

        await mapper.DisposeAsync();

        Assert.Empty(igd.Mappings);
        Assert.Equal("41641", Assert.Single(igd.Actions("DeletePortMapping")).Arguments["NewExternalPort"]);
    }

    [Fact]
    public async Task Map_PcpAndNatPmpSilent_UpnpIsAskedThird()
    {
        await using var igd = new FakeIgd();
        await using var silent = new FakeGateway(_ => []);
        await using var mapper = Create(igd, PortMappingServices.All, TimeProvider.System, gateway: silent.EndPoint, clientAddress: IPAddress.Loopback);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.Equal(PortMappingProtocol.Upnp, lease?.Protocol);
        // Three PCP and three NAT-PMP attempts went unanswered first.
        Assert.Equal(6, mapper.Counters.Requests);
        Assert.Equal(3, silent.Requests.Count(r => r[0] == 2));
        Assert.Single(igd.Mappings);
    }

    [Fact]
    public async Task Map_ConflictInEntry_TriesAnotherExternalPort()
    {
        await using var igd = new FakeIgd { AddPortMappingFault = arguments => arguments["NewExternalPort"] == "41641" ? 718 : null };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(lease);
        Assert.NotEqual(NodePort, lease.External.Port);
        Assert.InRange(lease.External.Port, 1024, 65535);
        Assert.Equal(lease.External.Port, Assert.Single(igd.Mappings).Key);
        Assert.Equal(2, igd.Actions("AddPortMapping").Count());
        Assert.Equal(1, mapper.Counters.UpnpFaults);
    }

    [Fact]
    public async Task Map_OnlyPermanentLeases_AsksAgainWithLeaseZero()
    {
        await using var igd = new FakeIgd { AddPortMappingFault = arguments => arguments["NewLeaseDuration"] == "0" ? null : 725 };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new IPEndPoint(External, NodePort), lease?.External);
        Assert.Equal("0", Assert.Single(igd.Mappings).Value["NewLeaseDuration"]);
    }

    [Fact]
    public async Task Map_GatewayKeepsRefusing_ReturnsNullWithoutEndlessRetries()
    {
        await using var igd = new FakeIgd { AddPortMappingFault = _ => 718 };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Equal(5, igd.Actions("AddPortMapping").Count());
        Assert.Equal(5, mapper.Counters.UpnpFaults);
    }

    [Fact]
    public async Task Map_NotAuthorizedFault_ReturnsNullAndCounts()
    {
        await using var igd = new FakeIgd { AddPortMappingFault = _ => 606 };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Single(igd.Actions("AddPortMapping"));
        Assert.Equal(1, mapper.Counters.UpnpFaults);
    }

    [Fact]
    public async Task Map_PrivateExternalAddress_NoMapping()
    {
        // A gateway behind another NAT: its mapping would not be reachable from the internet.
        await using var igd = new FakeIgd { ExternalAddress = "10.1.2.3" };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Empty(igd.Actions("AddPortMapping"));
    }

    [Theory]
    [InlineData("<root><device><serviceList><service>")]
    [InlineData("not xml at all")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><root>&b;</root>")]
    [InlineData("<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/x</controlURL></service></serviceList></device></root>")]
    public async Task Map_UnusableDescription_NoMappingAndCounted(string description)
    {
        await using var igd = new FakeIgd { Description = description };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, mapper.Counters.UpnpMalformed);
        Assert.Empty(igd.Actions("AddPortMapping"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Map_OversizedDescription_RefusedWithLengthOrWithout(bool omitContentLength)
    {
        var huge = Encoding.UTF8.GetBytes("<root>" + new string('x', 200_000) + "</root>");
        await using var igd = new FakeIgd { Override = r => r.Method == "GET" ? new FakeHttpResponse(200, "", huge, omitContentLength) : null };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, mapper.Counters.UpnpMalformed);
    }

    [Fact]
    public async Task Map_MalformedSoapAnswer_NoMappingAndCounted()
    {
        await using var igd = new FakeIgd { Override = r => r.SoapAction == "GetExternalIPAddress" ? new FakeHttpResponse(200, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:Whatever/>") : null };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, mapper.Counters.UpnpMalformed);
    }

    [Fact]
    public async Task Discovery_LocationOffTheLanOrNotTheAnsweringDevice_NeverFetched()
    {
        await using var igd = new FakeIgd();
        igd.SsdpAnswers = target =>
        [
            // A public address (never contacted: refused before any connection) and a device other than the one answering.
            FakeIgd.SsdpAnswer(target, new Uri("http://198.51.100.1/rootDesc.xml")),
            FakeIgd.SsdpAnswer(target, new Uri($"http://127.0.0.2:{igd.HttpPort}/rootDesc.xml")),
        ];
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        var services = await mapper.ProbeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(PortMappingServices.None, services);
        Assert.Empty(igd.Requests);
        Assert.True(mapper.Counters.UpnpRefused >= 2, mapper.Counters.UpnpRefused.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Discovery_GarbageBeforeTheAnswer_CountedAndIgnored()
    {
        await using var igd = new FakeIgd();
        igd.SsdpAnswers = target => [[0x00, 0xff, 0x13], Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\n\r\n"), FakeIgd.SsdpAnswer(target, igd.Location)];
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.Equal(PortMappingProtocol.Upnp, lease?.Protocol);
        Assert.True(mapper.Counters.UpnpMalformed >= 2);
    }

    [Fact]
    public async Task Probe_FindsTheServiceAndMapsNothing()
    {
        await using var igd = new FakeIgd();
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        var services = await mapper.ProbeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(PortMappingServices.Upnp, services);
        Assert.Contains(FakeIgd.ServiceType, igd.Searches);
        Assert.Empty(igd.Actions("AddPortMapping"));
        Assert.Null(mapper.Current);
    }

    [Fact]
    public async Task ProbeThenMap_SearchesOnce()
    {
        await using var igd = new FakeIgd();
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Equal(PortMappingServices.Upnp, await mapper.ProbeAsync(TestContext.Current.CancellationToken));
        Assert.Equal(PortMappingProtocol.Upnp, (await mapper.MapAsync(TestContext.Current.CancellationToken))?.Protocol);

        // One round at most: the gateway's first answer ends discovery, so later targets of that round may not have
        // reached the fake yet, and MapAsync reused what the probe found (one description fetch, no second round).
        Assert.InRange(igd.Searches.Count, 1, Ssdp.SearchTargets.Count);
        Assert.Single(igd.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task SilentNetwork_ProbeAndMapFindNothing()
    {
        await using var igd = new FakeIgd { SsdpAnswers = _ => [] };
        await using var mapper = Create(igd, PortMappingServices.Upnp, TimeProvider.System);

        Assert.Equal(PortMappingServices.None, await mapper.ProbeAsync(TestContext.Current.CancellationToken));
        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        // Both calls searched twice with every search target.
        Assert.Equal(4 * Ssdp.SearchTargets.Count, igd.Searches.Count);
    }

    [Fact]
    public async Task HalfLifetimePassed_RenewsTheSameExternalPort()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var igd = new FakeIgd();
        await using var mapper = Create(igd, PortMappingServices.Upnp, time);
        var first = await mapper.MapAsync(TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromHours(1));
        var deadline = DateTime.UtcNow + HangGuard;
        while (mapper.Counters.Renewals == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no renewal after half the lifetime");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(NodePort, first?.External.Port);
        Assert.Equal(2, igd.Actions("AddPortMapping").Count());
        Assert.All(igd.Actions("AddPortMapping"), r => Assert.Equal("41641", r.Arguments["NewExternalPort"]));
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromHours(2), mapper.Current?.Expires);
        // The service found at first is reused: one search round only (its later targets may still be in flight).
        Assert.InRange(igd.Searches.Count, 1, Ssdp.SearchTargets.Count);
    }

    [Fact]
    public async Task GatewayMovedItsControlUrl_RenewalDiscoversItAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var igd = new FakeIgd();
        await using var mapper = Create(igd, PortMappingServices.Upnp, time);
        Assert.NotNull(await mapper.MapAsync(TestContext.Current.CancellationToken));
        // As after a gateway restart: the old control URL drops connections, the description names a new one.
        igd.Description = FakeIgd.DefaultDescription("/ctl/moved");
        igd.ServedControlPath = "/ctl/moved";
        igd.Override = r => r.Path == FakeIgd.ControlPath ? new FakeHttpResponse(0, "") : null;

        time.Advance(TimeSpan.FromHours(1));
        var deadline = DateTime.UtcNow + HangGuard;
        while (mapper.Counters.Renewals + mapper.Counters.RenewalFailures == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no renewal after half the lifetime");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, mapper.Counters.Renewals);
        // A second search round happened (the first answer of each round ends it, so some targets may be in flight).
        Assert.InRange(igd.Searches.Count, 2, 2 * Ssdp.SearchTargets.Count);
        Assert.Equal("/ctl/moved", igd.Requests.Last().Path);
        Assert.Equal(NodePort, mapper.Current?.External.Port);
    }

    [Fact]
    public async Task ControlUrlAnswers404_RenewalFailsAndTheLeaseIsKeptUntilExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var igd = new FakeIgd();
        await using var mapper = Create(igd, PortMappingServices.Upnp, time);
        Assert.NotNull(await mapper.MapAsync(TestContext.Current.CancellationToken));
        igd.Override = r => r.Method == "POST" ? new FakeHttpResponse(404, "gone") : null;

        time.Advance(TimeSpan.FromHours(1));
        var deadline = DateTime.UtcNow + HangGuard;
        while (mapper.Counters.RenewalFailures == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no renewal after half the lifetime");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(0, mapper.Counters.Renewals);
        Assert.NotNull(mapper.Current);
    }

    private static PortMapper Create(FakeIgd igd, PortMappingServices protocols, TimeProvider time, IPEndPoint? gateway = null, IPAddress? clientAddress = null) => new(
        new PortMapperOptions
        {
            Gateway = gateway?.Address ?? IPAddress.Loopback,
            GatewayPort = gateway?.Port ?? 9,
            InternalPort = NodePort,
            ClientAddress = clientAddress,
            Protocols = protocols,
            SsdpEndPoint = igd.SsdpEndPoint,
            InitialTimeout = TimeSpan.FromMilliseconds(50),
            UpnpDiscoveryTimeout = TimeSpan.FromMilliseconds(400),
        },
        time,
        NullLogger<PortMapper>.Instance);
}
