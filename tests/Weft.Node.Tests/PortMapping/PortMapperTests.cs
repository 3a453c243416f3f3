using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Node.PortMapping;
using static Weft.Node.Tests.PortMapping.GatewayMessages;

namespace Weft.Node.Tests.PortMapping;

/// <summary>The port mapper against a scripted gateway on loopback: both protocols, forged and broken answers, renewal and delete.</summary>
public sealed class PortMapperTests
{
    private const ushort NodePort = 41641;
    private static readonly IPAddress External = IPAddress.Parse("203.0.113.7");
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task NatPmp_Map_ReturnsExternalEndpointAndDisposeDeletes()
    {
        await using var gateway = new FakeGateway(request => [(false, NatPmpAnswer(request, externalPort: 50000, lifetime: 3600))]);
        var mapper = Create(gateway, clientAddress: null, TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);
        await mapper.DisposeAsync();

        Assert.NotNull(lease);
        Assert.Equal(PortMappingProtocol.NatPmp, lease.Protocol);
        Assert.Equal(new IPEndPoint(External, 50000), lease.External);
        Assert.Equal(TimeSpan.FromHours(1), lease.Lifetime);
        var delete = gateway.Requests.Last();
        Assert.Equal(1, delete[1]);
        Assert.Equal(NodePort, BinaryPrimitives.ReadUInt16BigEndian(delete.AsSpan(4)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(delete.AsSpan(8)));
    }

    [Fact]
    public async Task Pcp_Map_PrefersPcpAndSendsOurAddressAndPort()
    {
        await using var gateway = new FakeGateway(request => [(false, PcpMap(request, External, 50001, 7200, epoch: 10))]);
        await using var mapper = Create(gateway, IPAddress.Parse("10.0.0.5"), TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(lease);
        Assert.Equal(PortMappingProtocol.Pcp, lease.Protocol);
        Assert.Equal(new IPEndPoint(External, 50001), lease.External);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal(60, request.Length);
        Assert.Equal(IPAddress.Parse("10.0.0.5").MapToIPv6(), new IPAddress(request.AsSpan(8, 16)));
        Assert.Equal(17, request[24 + 12]);
        Assert.Equal(NodePort, BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(24 + 16)));
    }

    [Fact]
    public async Task Pcp_WrongNonceFirst_IgnoredAndCounted()
    {
        await using var gateway = new FakeGateway(request =>
        [
            (false, PcpMap(request, IPAddress.Parse("198.51.100.66"), 666, 7200, epoch: 1, nonce: new byte[12])),
            (false, PcpMap(request, External, 50002, 7200, epoch: 1)),
        ]);
        await using var mapper = Create(gateway, IPAddress.Parse("10.0.0.5"), TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new IPEndPoint(External, 50002), lease?.External);
        Assert.Equal(1, mapper.Counters.WrongNonce);
    }

    [Fact]
    public async Task AnswerFromStrangerAndGarbage_IgnoredAndCounted()
    {
        await using var gateway = new FakeGateway(request =>
        [
            (true, NatPmpAnswer(request, externalPort: 666, lifetime: 3600)),
            (false, [0, 0x81, 1]),
            (false, NatPmpAnswer(request, externalPort: 50003, lifetime: 3600)),
        ]);
        await using var mapper = Create(gateway, clientAddress: null, TimeProvider.System);

        var lease = await mapper.MapAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new IPEndPoint(External, 50003), lease?.External);
        // Two requests (address, then map), each preceded by a forgery and a broken answer.
        Assert.Equal(2, mapper.Counters.ForeignSource);
        Assert.Equal(2, mapper.Counters.Malformed);
    }

    [Fact]
    public async Task GatewayRefuses_MapReturnsNull()
    {
        // Result code 2: not authorised (RFC 6886 §3.5).
        await using var gateway = new FakeGateway(request => request[1] == 0
            ? [(false, NatPmpExternalAddress(External, 1))]
            : [(false, NatPmpMap(NodePort, 0, 0, 1, result: 2))]);
        await using var mapper = Create(gateway, clientAddress: null, TimeProvider.System);

        Assert.Null(await mapper.MapAsync(TestContext.Current.CancellationToken));
        Assert.Null(mapper.Current);
    }

    [Fact]
    public async Task SilentGateway_ProbeFindsNothing()
    {
        await using var gateway = new FakeGateway(_ => []);
        await using var mapper = Create(gateway, IPAddress.Parse("10.0.0.5"), TimeProvider.System);

        var services = await mapper.ProbeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(PortMappingServices.None, services);
        // Three attempts each for NAT-PMP and PCP.
        Assert.Equal(6, mapper.Counters.Requests);
    }

    [Fact]
    public async Task HalfLifetimePassed_RenewsWithThePreviousPortSuggested()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var port = (ushort)50004;
        await using var gateway = new FakeGateway(request => [(false, NatPmpAnswer(request, externalPort: request[1] == 1 ? port++ : port, lifetime: 120))]);
        await using var mapper = Create(gateway, clientAddress: null, time);
        var changes = new List<PortMappingLease?>();
        mapper.Changed += lease =>
        {
            lock (changes)
            {
                changes.Add(lease);
            }
        };
        var first = await mapper.MapAsync(TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow + HangGuard;
        while (mapper.Counters.Renewals == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no renewal after half the lifetime");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(50004, first?.External.Port);
        var renewal = gateway.Requests.Where(r => r[1] == 1).Last();
        Assert.Equal(50004, BinaryPrimitives.ReadUInt16BigEndian(renewal.AsSpan(6)));
        Assert.Equal(50005, mapper.Current?.External.Port);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(120), mapper.Current?.Expires);
        lock (changes)
        {
            Assert.Equal([50004, 50005], changes.Select(c => c!.External.Port));
        }
    }

    private static byte[] NatPmpAnswer(byte[] request, ushort externalPort, uint lifetime) => request[1] == 0
        ? NatPmpExternalAddress(External, 1)
        : NatPmpMap(BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(4)), externalPort, BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8)) == 0 ? 0 : lifetime, 1);

    private static PortMapper Create(FakeGateway gateway, IPAddress? clientAddress, TimeProvider time) => new(
        new PortMapperOptions
        {
            Gateway = gateway.EndPoint.Address,
            GatewayPort = gateway.EndPoint.Port,
            InternalPort = NodePort,
            ClientAddress = clientAddress,
            // UPnP has its own tests (UpnpPortMapperTests); here it would search the host's real LAN.
            Protocols = PortMappingServices.Pcp | PortMappingServices.NatPmp,
            InitialTimeout = TimeSpan.FromMilliseconds(50),
        },
        time,
        NullLogger<PortMapper>.Instance);
}
