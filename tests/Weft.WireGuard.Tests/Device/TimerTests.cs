using System.Text;

namespace Weft.WireGuard.Tests.Device;

/// <summary>The protocol's timers, driven by a fake clock (whitepaper section 6).</summary>
public sealed class TimerTests
{
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("timers");

    private static byte[] AToB() => Packets.Udp4("10.0.0.1", "10.0.0.2", Payload);

    private static bool IsKeepalive(WireGuard.Conn.SentDatagram d) => DevicePair.IsType(d, 4) && d.Datagram.Length == Constants.MessageTransportSize;

    private static bool IsInitiation(WireGuard.Conn.SentDatagram d) => DevicePair.IsType(d, 1);

    [Fact]
    public async Task Keepalive_AfterReceivingData_IsSentAfterKeepaliveTimeout()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        DevicePair.DrainSent(pair.BindB);
        pair.Time!.Advance(Constants.KeepaliveTimeout);
        await DevicePair.NextSent(pair.BindB, IsKeepalive);
    }

    [Fact]
    public async Task Keepalive_NotSentBeforeKeepaliveTimeout()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        await DevicePair.TimerSettled(pair.B, pair.PeerAAtB);
        Assert.True(pair.PeerAAtB.IsKeepalivePending);
        pair.Time!.Advance(Constants.KeepaliveTimeout - TimeSpan.FromMilliseconds(1));
        Assert.True(pair.PeerAAtB.IsKeepalivePending);
    }

    [Fact]
    public async Task NewHandshake_DataSentButNothingReceived_Initiates()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        pair.BindB.Close(); // B falls silent
        DevicePair.DrainSent(pair.BindA);
        await pair.TunA.Inject(AToB(), DevicePair.Guard);
        await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32);
        await DevicePair.TimerSettled(pair.A, pair.PeerBAtA);
        DevicePair.DrainSent(pair.BindA);
        Assert.True(pair.PeerBAtA.IsNewHandshakePending);
        pair.Time!.Advance(Constants.KeepaliveTimeout + Constants.RekeyTimeout + Constants.RekeyTimeoutJitterMax);
        Assert.True(pair.BindA.Sent.TryRead(out var sent) && IsInitiation(sent));
    }

    [Fact]
    public async Task RetransmitHandshake_GivesUpAfterRekeyAttemptTime()
    {
        using var pair = new DevicePair();
        pair.BindB.Close(); // nobody answers
        await pair.TunA.Inject(AToB(), DevicePair.Guard);
        await DevicePair.NextSent(pair.BindA, IsInitiation);
        await DevicePair.TimerSettled(pair.A, pair.PeerBAtA);
        var retries = 0;
        for (var i = 0; i < 40; i++)
        {
            pair.Time!.Advance(Constants.RekeyTimeout + Constants.RekeyTimeoutJitterMax);
            while (pair.BindA.Sent.TryRead(out var sent))
            {
                retries += IsInitiation(sent) ? 1 : 0;
            }
        }
        // REKEY_ATTEMPT_TIME / REKEY_TIMEOUT = 18 attempts after the first, then one more as the reference does.
        Assert.Equal(ProtocolTimes.Specification.MaxHandshakeAttempts + 1, retries);
        Assert.False(pair.PeerBAtA.IsRetransmitPending);
        Assert.True(pair.A.Stats.StagedDropped == 0);
    }

    [Fact]
    public async Task Rekey_AfterRekeyAfterTime_InitiatorStartsNewSessionOnSend()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        await Task.WhenAll(pair.A.Drained(), pair.B.Drained());
        // B's keepalive answers A's data so A's new-handshake timer stands down before the long wait.
        pair.Time!.Advance(Constants.KeepaliveTimeout);
        await DeviceTests.WaitUntil(() => !pair.PeerBAtA.IsNewHandshakePending);
        pair.Time.Advance(Constants.RekeyAfterTime - Constants.KeepaliveTimeout + TimeSpan.FromSeconds(1));
        await pair.TunA.Inject(AToB(), DevicePair.Guard);
        await DeviceTests.WaitUntil(() =>
            pair.PeerBAtA.Current is { IsInitiator: true } current && pair.Time.GetElapsedTime(current.CreatedTimestamp) == TimeSpan.Zero);
        // Traffic keeps flowing on the new session.
        var after = AToB();
        await pair.TunA.Inject(after, DevicePair.Guard);
        while (true)
        {
            var written = await pair.TunB.Written.ReadAsync(DevicePair.Guard);
            if (pair.PeerAAtB.Current is { } c && pair.Time.GetElapsedTime(c.CreatedTimestamp) == TimeSpan.Zero)
            {
                Assert.Equal(after, written);
                break;
            }
        }
    }

    [Fact]
    public async Task ZeroKeyMaterial_AfterThreeTimesRejectAfterTime_ForgetsSessions()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        pair.BindB.Close();
        Assert.NotNull(pair.PeerBAtA.Current);
        pair.Time!.Advance(Constants.RejectAfterTime * 3 + TimeSpan.FromSeconds(1));
        Assert.Null(pair.PeerBAtA.Current);
    }

    [Fact]
    public async Task Transport_OnKeypairOlderThanRejectAfterTime_IsDropped()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        var sent = await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32);
        pair.BindA.Close();
        pair.Time!.Advance(Constants.RejectAfterTime);
        var replayedLate = sent.Datagram.ToArray();
        BitConverter.GetBytes(77UL).CopyTo(replayedLate, 8);
        pair.BindB.Inject(replayedLate, pair.BindA.LocalEndpoint);
        await DeviceTests.WaitUntil(() => pair.B.Stats.ExpiredKeypair == 1);
    }

    [Fact]
    public async Task PersistentKeepalive_SendsAtEachInterval()
    {
        using var pair = new DevicePair();
        await pair.SendAToB(AToB());
        DevicePair.DrainSent(pair.BindA);
        WireGuard.Device.SetPersistentKeepalive(pair.PeerBAtA, 25);
        await DevicePair.NextSent(pair.BindA, IsKeepalive);
        await DevicePair.TimerSettled(pair.A, pair.PeerBAtA);
        pair.Time!.Advance(TimeSpan.FromSeconds(25));
        await DevicePair.NextSent(pair.BindA, IsKeepalive);
    }

    [Fact]
    public async Task PersistentKeepalive_SetWithoutSession_StartsAHandshake_AndTheKeepaliveFollows()
    {
        // wireguard-go stages the keepalive and initiates when no session exists; a NAT mapping opens at once.
        using var pair = new DevicePair();
        WireGuard.Device.SetPersistentKeepalive(pair.PeerBAtA, 25);
        await DevicePair.NextSent(pair.BindA, IsInitiation);
        await DeviceTests.WaitUntil(() => pair.PeerBAtA.LastHandshake is not null);
        await DevicePair.NextSent(pair.BindA, IsKeepalive);
    }
}
