using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Keys;
using Weft.Node.Engine;
using Weft.Node.Tests.ControlLoop;
using Weft.WireGuard;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Tun;

namespace Weft.Node.Tests.Engine;

using Node = Weft.Core.Control.Node;

/// <summary>
/// Node A's device is configured from netmaps by the configurator; node B is a plain device set up by hand.
/// Both run on in-memory TUNs and binds.
/// </summary>
public sealed class EngineConfiguratorTests : IDisposable
{
    private readonly ChannelTun _tunA = new("a");
    private readonly ChannelTun _tunB = new("b");
    private readonly ChannelBind _bindA;
    private readonly ChannelBind _bindB;
    private readonly Device _a;
    private readonly Device _b;
    private readonly PrivateKey _keyA = PrivateKey.Generate();
    private readonly PrivateKey _keyB = PrivateKey.Generate();
    private readonly EngineConfigurator _configurator;

    public EngineConfiguratorTests()
    {
        ChannelBind.CreatePair(out _bindA, out _bindB);
        _a = new Device(_tunA, _bindA, new DeviceOptions { CryptoWorkers = 0 }, NullLogger.Instance);
        _b = new Device(_tunB, _bindB, new DeviceOptions { CryptoWorkers = 0 }, NullLogger.Instance);
        _a.SetPrivateKey(_keyA.Key);
        _b.SetPrivateKey(_keyB.Key);
        _a.Start();
        _b.Start();
        var aAtB = _b.AddPeer(_keyA.PublicKey())!;
        _b.AddAllowedIp(aAtB, IPNetwork.Parse("100.64.0.1/32"));
        Device.SetEndpoint(aAtB, _bindA.LocalEndpoint);
        _configurator = new EngineConfigurator(_a, null, NullLogger.Instance);
    }

    private Node NodeB => TestNodes.Make(2, _bindB.LocalEndpoint.ToIPEndPoint().ToString(), new NodePublic(_keyB.PublicKey()).ToString());

    private static CancellationToken Guard => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    [Fact]
    public void Apply_NewPeers_GetAllowedIpsEndpointAndKeepalive()
    {
        var c = TestNodes.Make(3, "10.0.0.3:41641") with { AllowedIPs = ["100.64.0.3/32", "192.168.3.0/24"] };

        var diff = _configurator.Apply([NodeB, c]);

        Assert.Equal(new EngineDiff(2, 0, 0), diff);
        var peerC = _a.Peers.Single(p => new NodePublic(p.PublicKey).ToString() == c.NodeKey);
        Assert.Equal(
            [IPNetwork.Parse("100.64.0.3/32"), IPNetwork.Parse("192.168.3.0/24")],
            peerC.AllowedIps.OrderBy(p => p.ToString(), StringComparer.Ordinal));
        Assert.Equal(IPEndPoint.Parse("10.0.0.3:41641"), peerC.Endpoint.ToIPEndPoint());
        Assert.Equal(EngineConfigurator.PersistentKeepaliveSeconds, peerC.PersistentKeepaliveInterval);
    }

    [Fact]
    public void Apply_PeerGoneFromTheMap_IsRemoved()
    {
        var c = TestNodes.Make(3, "10.0.0.3:41641");
        _configurator.Apply([NodeB, c]);

        var diff = _configurator.Apply([NodeB]);

        Assert.Equal(new EngineDiff(0, 0, 1), diff);
        Assert.Single(_a.Peers);
        Assert.Equal(1, _configurator.PeerCount);
    }

    [Fact]
    public void Apply_ChangedAllowedIpsOrEndpoint_UpdatesThatPeerInPlace()
    {
        var c = TestNodes.Make(3, "10.0.0.3:41641");
        _configurator.Apply([NodeB, c]);
        var peerC = _a.Peers.Single(p => new NodePublic(p.PublicKey).ToString() == c.NodeKey);

        var diff = _configurator.Apply([NodeB, c with { AllowedIPs = ["100.64.0.3/32", "10.3.0.0/16"], Endpoints = ["10.0.0.33:41641"] }]);

        Assert.Equal(new EngineDiff(0, 1, 0), diff);
        Assert.Same(peerC, _a.Peers.Single(p => p.PublicKey == peerC.PublicKey));
        Assert.Equal([IPNetwork.Parse("10.3.0.0/16"), IPNetwork.Parse("100.64.0.3/32")], peerC.AllowedIps.OrderBy(p => p.ToString(), StringComparer.Ordinal));
        Assert.Equal(IPEndPoint.Parse("10.0.0.33:41641"), peerC.Endpoint.ToIPEndPoint());
    }

    [Fact]
    public void Apply_RotatedKey_ReplacesThePeer()
    {
        var c = TestNodes.Make(3, "10.0.0.3:41641");
        _configurator.Apply([NodeB, c]);
        var rotated = c with { NodeKey = new NodePublic(PrivateKey.Generate().PublicKey()).ToString() };

        var diff = _configurator.Apply([NodeB, rotated]);

        Assert.Equal(new EngineDiff(1, 0, 1), diff);
        Assert.Contains(_a.Peers, p => new NodePublic(p.PublicKey).ToString() == rotated.NodeKey);
        Assert.DoesNotContain(_a.Peers, p => new NodePublic(p.PublicKey).ToString() == c.NodeKey);
    }

    [Fact]
    public async Task Apply_UnchangedPeer_KeepsItsSession_WhileOthersChange()
    {
        _configurator.Apply([NodeB]);
        await _tunA.Inject(Udp("100.64.0.1", "100.64.0.2"), Guard);
        await _tunB.Written.ReadAsync(Guard);
        var peerB = _a.Peers.Single();
        var handshake = peerB.LastHandshake;
        var handshakes = _a.Stats.HandshakesCompleted + _b.Stats.HandshakesCompleted;
        Assert.NotNull(handshake);

        // Other peers come and go, B's entry is re-sent identical (as every full map does).
        _configurator.Apply([NodeB, TestNodes.Make(3, "10.0.0.3:41641"), TestNodes.Make(4)]);
        _configurator.Apply([NodeB with { Online = false, Name = "b-renamed" }, TestNodes.Make(4)]);
        await _tunA.Inject(Udp("100.64.0.1", "100.64.0.2"), Guard);
        await _tunB.Written.ReadAsync(Guard);

        Assert.Same(peerB, _a.Peers.Single(p => p.PublicKey == peerB.PublicKey));
        Assert.Equal(handshake, peerB.LastHandshake);
        Assert.Equal(handshakes, _a.Stats.HandshakesCompleted + _b.Stats.HandshakesCompleted);
    }

    [Fact]
    public async Task Apply_SameEndpointAgain_DoesNotUndoARoam()
    {
        // A peer with no device behind it: no answer can roam its endpoint back while the test looks.
        var c = TestNodes.Make(3);
        _configurator.Apply([c]);
        var peerC = _a.Peers.Single();
        var roamed = UdpEndpoint.From(IPEndPoint.Parse("10.7.7.7:7777"));
        Device.SetEndpoint(peerC, roamed);

        _configurator.Apply([c with { Online = false }]);

        Assert.Equal(roamed, peerC.Endpoint);
        await Task.CompletedTask;
    }

    [Fact]
    public void Clear_RemovesEveryPeer()
    {
        _configurator.Apply([NodeB, TestNodes.Make(3)]);

        _configurator.Clear();

        Assert.Empty(_a.Peers);
        Assert.Equal(0, _configurator.PeerCount);
    }

    [Fact]
    public void ChooseEndpoint_TakesTheFirstUsable() =>
        Assert.Equal(IPEndPoint.Parse("10.0.0.5:1"), EngineConfigurator.ChooseEndpoint(["0.0.0.0:41641", "10.0.0.5:1", "10.0.0.6:1"]));

    /// <summary>A minimal IPv4/UDP packet with a valid header checksum.</summary>
    private static byte[] Udp(string source, string destination)
    {
        var packet = new byte[20 + 8 + 4];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        uint sum = 0;
        for (var i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        }
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~sum);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 5000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 6000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), 12);
        return packet;
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
