using System.Text;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Tests.Device;

public sealed class DeviceTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello through the tunnel");

    [Fact]
    public async Task Packet_AcrossTwoDevices_ArrivesBothWays()
    {
        using var pair = new DevicePair();
        var toB = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(toB, await pair.SendAToB(toB));
        var toA = Packets.Udp4("10.0.0.2", "10.0.0.1", Hello);
        Assert.Equal(toA, await pair.SendBToA(toA));
        Assert.Equal(1, pair.A.Stats.HandshakesCompleted);
        Assert.Equal(1, pair.B.Stats.HandshakesCompleted);
        Assert.NotNull(pair.PeerBAtA.LastHandshake);
        Assert.True(pair.PeerBAtA.TxBytes > 0);
        Assert.True(pair.PeerAAtB.RxBytes > 0);
    }

    [Fact]
    public async Task Packet_IPv6_ArrivesIntact()
    {
        using var pair = new DevicePair();
        var packet = Packets.Udp6("fd00::1", "fd00::2", Hello);
        Assert.Equal(packet, await pair.SendAToB(packet));
    }

    [Fact]
    public async Task Packet_WithPresharedKey_Arrives()
    {
        using var pair = new DevicePair();
        var psk = Core.Crypto.Curve25519.GeneratePrivateKey();
        WireGuard.Device.SetPresharedKey(pair.PeerBAtA, psk);
        WireGuard.Device.SetPresharedKey(pair.PeerAAtB, psk);
        var packet = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(packet, await pair.SendAToB(packet));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task ManyPackets_InOneBurst_ArriveInOrder(int cryptoWorkers)
    {
        using var pair = new DevicePair(fakeTime: false, cryptoWorkers: cryptoWorkers);
        // A session first: without one, packets wait in a bounded staging queue that drops the oldest.
        var first = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(first, await pair.SendAToB(first));
        const int count = 3000;
        var send = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var payload = BitConverter.GetBytes(i);
                await pair.TunA.Inject(Packets.Udp4("10.0.0.1", "10.0.0.2", payload), DevicePair.Guard);
            }
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < count; i++)
        {
            var packet = await pair.TunB.Written.ReadAsync(DevicePair.Guard);
            Assert.Equal(i, BitConverter.ToInt32(packet, 28));
        }
        await send;
    }

    [Fact]
    public async Task Receive_SourceNotInAllowedIps_IsDroppedAndCounted()
    {
        using var pair = new DevicePair();
        // A routes 10.0.0.2 to B, but B only accepts 10.0.0.1 from A: a spoofed source must not pass.
        await pair.TunA.Inject(Packets.Udp4("10.0.0.99", "10.0.0.2", Hello), DevicePair.Guard);
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(good, await pair.SendAToB(good));
        Assert.Equal(1, pair.B.Stats.NotAllowedSource);
    }

    [Fact]
    public async Task Send_DestinationWithoutPeer_IsDroppedAndCounted()
    {
        using var pair = new DevicePair();
        await pair.TunA.Inject(Packets.Udp4("10.0.0.1", "10.0.0.77", Hello), DevicePair.Guard);
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(good, await pair.SendAToB(good));
        Assert.Equal(1, pair.A.Stats.NoRoute);
    }

    [Fact]
    public async Task Receive_ReplayedTransport_IsDroppedAndCounted()
    {
        using var pair = new DevicePair();
        var first = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        DevicePair.DrainSent(pair.BindA);
        Assert.Equal(first, await pair.SendAToB(first));
        var sent = await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32);
        pair.BindB.Inject(sent.Datagram, pair.BindA.LocalEndpoint);
        var second = Packets.Udp4("10.0.0.1", "10.0.0.2", Encoding.ASCII.GetBytes("second"));
        Assert.Equal(second, await pair.SendAToB(second));
        Assert.Equal(1, pair.B.Stats.Replayed);
        Assert.False(pair.TunB.Written.TryRead(out _));
    }

    [Fact]
    public async Task Receive_MalformedDatagrams_AreDroppedAndCounted()
    {
        using var pair = new DevicePair();
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(good, await pair.SendAToB(good));
        var from = pair.BindA.LocalEndpoint;
        pair.BindB.Inject([], from);
        pair.BindB.Inject([4, 0, 0], from);
        pair.BindB.Inject(new byte[200], from);                   // type 0
        pair.BindB.Inject([9, 0, 0, 0, 1, 2, 3, 4], from);        // unknown type
        pair.BindB.Inject(new byte[147], from);                   // short initiation
        var unknownIndex = new byte[64];
        unknownIndex[0] = 4;
        unknownIndex[4] = 0x55;
        pair.BindB.Inject(unknownIndex, from);
        var badMac = new byte[148];
        badMac[0] = 1;
        pair.BindB.Inject(badMac, from);
        Assert.Equal(good, await pair.SendAToB(good));
        await pair.B.Drained(); // the handshake thread has looked at the bad initiation
        Assert.Equal(5, pair.B.Stats.Malformed);
        Assert.Equal(1, pair.B.Stats.UnknownIndex);
        Assert.Equal(1, pair.B.Stats.HandshakeMac1Failed);
    }

    [Fact]
    public async Task Receive_TamperedTransport_IsDroppedAndCounted()
    {
        using var pair = new DevicePair();
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        DevicePair.DrainSent(pair.BindA);
        Assert.Equal(good, await pair.SendAToB(good));
        var sent = await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32);
        var tampered = sent.Datagram.ToArray();
        tampered[^1] ^= 1;
        BitConverter.GetBytes(1000UL).CopyTo(tampered, 8); // a fresh counter, so only the tag can reject it
        pair.BindB.Inject(tampered, pair.BindA.LocalEndpoint);
        Assert.Equal(good, await pair.SendAToB(good));
        Assert.Equal(1, pair.B.Stats.DecryptFailed);
    }

    [Fact]
    public async Task Roaming_AuthenticatedPacketFromNewAddress_MovesEndpoint()
    {
        using var pair = new DevicePair();
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        DevicePair.DrainSent(pair.BindA);
        Assert.Equal(good, await pair.SendAToB(good));
        Assert.Equal(pair.BindA.LocalEndpoint, pair.PeerAAtB.Endpoint);
        // A's next packet goes nowhere by itself; we deliver it to B as if A had moved to another address.
        WireGuard.Device.SetEndpoint(pair.PeerBAtA, UdpEndpoint.From(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.8"), 1)));
        DevicePair.DrainSent(pair.BindA);
        await pair.TunA.Inject(good, DevicePair.Guard);
        var sent = await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32);
        var elsewhere = UdpEndpoint.From(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.9"), 5555));
        Assert.True(pair.BindB.Inject(sent.Datagram, elsewhere));
        Assert.Equal(good, await pair.TunB.Written.ReadAsync(DevicePair.Guard));
        Assert.Equal(elsewhere, pair.PeerAAtB.Endpoint);
    }

    [Fact]
    public async Task PinnedEndpoint_AuthenticatedPacketFromNewAddress_IsAcceptedButDoesNotMoveIt()
    {
        using var pair = new DevicePair();
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        DevicePair.DrainSent(pair.BindA);
        Assert.Equal(good, await pair.SendAToB(good));
        // A bind that picks paths itself (MagicBind) gives B one stable endpoint for A and pins it.
        WireGuard.Device.PinEndpoint(pair.PeerAAtB, pair.BindA.LocalEndpoint);
        WireGuard.Device.SetEndpoint(pair.PeerBAtA, UdpEndpoint.From(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.8"), 1)));
        DevicePair.DrainSent(pair.BindA);
        await pair.TunA.Inject(good, DevicePair.Guard);
        var sent = await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32);
        var elsewhere = UdpEndpoint.From(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.9"), 5555));
        Assert.True(pair.BindB.Inject(sent.Datagram, elsewhere));
        Assert.Equal(good, await pair.TunB.Written.ReadAsync(DevicePair.Guard));
        Assert.Equal(pair.BindA.LocalEndpoint, pair.PeerAAtB.Endpoint);
    }

    [Fact]
    public async Task SimultaneousInitiations_CompleteAtOnce_WithoutWaitingForARetry()
    {
        // Fake time never advances here: a tie that needed WireGuard's 5 s retry would hang until the guard.
        for (var round = 0; round < 20; round++)
        {
            using var pair = new DevicePair();
            var toB = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
            var toA = Packets.Udp4("10.0.0.2", "10.0.0.1", Hello);
            var sendA = pair.TunA.Inject(toB, DevicePair.Guard).AsTask();
            var sendB = pair.TunB.Inject(toA, DevicePair.Guard).AsTask();
            await Task.WhenAll(sendA, sendB);

            Assert.Equal(toB, await pair.TunB.Written.ReadAsync(DevicePair.Guard));
            Assert.Equal(toA, await pair.TunA.Written.ReadAsync(DevicePair.Guard));
        }
    }

    [Fact]
    public async Task ListenPort_ChangedWhileRunning_TrafficUsesTheNewSocket()
    {
        using var pair = new DevicePair();
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        Assert.Equal(good, await pair.SendAToB(good));
        pair.B.SetListenPort(51999);
        Assert.Equal(51999, pair.B.ListenPort);
        WireGuard.Device.SetEndpoint(pair.PeerBAtA, pair.BindB.LocalEndpoint);
        Assert.Equal(good, await pair.SendAToB(good));
    }

    [Fact]
    public async Task Handshake_UnderLoad_CompletesThroughCookieReply()
    {
        using var pair = new DevicePair(forceUnderLoadAtB: true);
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        await pair.TunA.Inject(good, DevicePair.Guard);
        // B answers the first initiation with a cookie; A retries (after REKEY_TIMEOUT) with mac2 and B accepts.
        await DevicePair.NextSent(pair.BindB, d => DevicePair.IsType(d, 3));
        await WaitUntil(() => pair.A.Stats.CookieRepliesAccepted == 1);
        pair.Time!.Advance(Constants.RekeyTimeout + Constants.RekeyTimeoutJitterMax);
        Assert.Equal(good, await pair.TunB.Written.ReadAsync(DevicePair.Guard));
        Assert.Equal(1, pair.B.Stats.CookieRepliesSent);
    }

    /// <summary>Waits for a condition another thread makes true (an event without a handle to await), with a hang guard.</summary>
    internal static async Task WaitUntil(Func<bool> condition)
    {
        var guard = DevicePair.Guard;
        while (!condition())
        {
            guard.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}
