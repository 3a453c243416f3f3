using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Node.Paths;
using Weft.WireGuard;
using Weft.WireGuard.Tun;

namespace Weft.Node.Tests.Paths;

/// <summary>Two real WireGuard devices whose binds are MagicBinds: the engine knows peers only by synthetic endpoints.</summary>
public sealed class MagicDeviceTests
{
    [Fact]
    public async Task TwoDevices_TalkThroughTheRelayFirst_ThenDirect()
    {
        using var pair = new MagicPair(TimeProvider.System, open: false);
        var tunA = new ChannelTun("magicA");
        var tunB = new ChannelTun("magicB");
        using var a = new Device(tunA, pair.A, new DeviceOptions { Time = TimeProvider.System }, NullLogger.Instance);
        using var b = new Device(tunB, pair.B, new DeviceOptions { Time = TimeProvider.System }, NullLogger.Instance);
        a.SetPrivateKey(Core.Crypto.Curve25519.GeneratePrivateKey());
        b.SetPrivateKey(Core.Crypto.Curve25519.GeneratePrivateKey());
        a.Start();
        b.Start();
        pair.Connect();
        var bAtA = a.AddPeer(b.PublicKey!.Value)!;
        var aAtB = b.AddPeer(a.PublicKey!.Value)!;
        a.AddAllowedIp(bAtA, IPNetwork.Parse("10.0.0.2/32"));
        b.AddAllowedIp(aAtB, IPNetwork.Parse("10.0.0.1/32"));
        Device.SetEndpoint(bAtA, MagicBind.SyntheticEndpoint(pair.NodeB));
        Device.SetEndpoint(aAtB, MagicBind.SyntheticEndpoint(pair.NodeA));
        var ct = TestContext.Current.CancellationToken;
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(MagicPair.Guard);

        var first = Udp4("10.0.0.1", "10.0.0.2", 1);
        await tunA.Inject(first, guard.Token);
        Assert.Equal(first, await tunB.Written.ReadAsync(guard.Token));
        // The handshake at least went through the relay: no direct path was proven before the first send.
        Assert.True(pair.Relay.DataPackets > 0);

        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect && pair.B.PeerPath(pair.NodeA)!.IsDirect));
        var relayed = pair.Relay.DataPackets;
        var second = Udp4("10.0.0.1", "10.0.0.2", 2);
        await tunA.Inject(second, guard.Token);
        Assert.Equal(second, await tunB.Written.ReadAsync(guard.Token));
        var reply = Udp4("10.0.0.2", "10.0.0.1", 3);
        await tunB.Inject(reply, guard.Token);
        Assert.Equal(reply, await tunA.Written.ReadAsync(guard.Token));
        Assert.Equal(relayed, pair.Relay.DataPackets);
        // WireGuard saw the peer at its synthetic endpoint all along: roaming did not replace it with the real address.
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), aAtB.Endpoint);
    }

    private static byte[] Udp4(string source, string destination, byte marker)
    {
        var packet = new byte[20 + 8 + 4];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12, 4), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16, 4), out _);
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
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 9);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), 12);
        packet[28] = marker;
        return packet;
    }
}
