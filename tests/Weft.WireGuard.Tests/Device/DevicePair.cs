using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Tun;

namespace Weft.WireGuard.Tests.Device;

/// <summary>
/// Two devices wired through in-memory TUNs and binds: A is 10.0.0.1 / fd00::1, B is 10.0.0.2 / fd00::2,
/// each the other's peer. Time is a fake clock both share.
/// </summary>
internal sealed class DevicePair : IDisposable
{
    public DevicePair(bool fakeTime = true, bool forceUnderLoadAtB = false, int cryptoWorkers = 0)
    {
        Time = fakeTime ? new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero)) : null;
        TunA = new ChannelTun("chanA");
        TunB = new ChannelTun("chanB");
        ChannelBind.CreatePair(out var bindA, out var bindB);
        BindA = bindA;
        BindB = bindB;
        var time = (TimeProvider?)Time ?? TimeProvider.System;
        A = new WireGuard.Device(TunA, BindA, new DeviceOptions { Time = time, CryptoWorkers = cryptoWorkers }, NullLogger.Instance);
        B = new WireGuard.Device(TunB, BindB, new DeviceOptions { Time = time, CryptoWorkers = cryptoWorkers, ForceUnderLoad = forceUnderLoadAtB }, NullLogger.Instance);
        KeyA = Curve25519.GeneratePrivateKey();
        KeyB = Curve25519.GeneratePrivateKey();
        A.SetPrivateKey(KeyA);
        B.SetPrivateKey(KeyB);
        A.Start();
        B.Start();
        PeerBAtA = A.AddPeer(B.PublicKey!.Value)!;
        PeerAAtB = B.AddPeer(A.PublicKey!.Value)!;
        A.AddAllowedIp(PeerBAtA, IPNetwork.Parse("10.0.0.2/32"));
        A.AddAllowedIp(PeerBAtA, IPNetwork.Parse("fd00::2/128"));
        B.AddAllowedIp(PeerAAtB, IPNetwork.Parse("10.0.0.1/32"));
        B.AddAllowedIp(PeerAAtB, IPNetwork.Parse("fd00::1/128"));
        WireGuard.Device.SetEndpoint(PeerBAtA, BindB.LocalEndpoint);
        WireGuard.Device.SetEndpoint(PeerAAtB, BindA.LocalEndpoint);
    }

    public FakeTimeProvider? Time { get; }

    public Key32 KeyA { get; }

    public Key32 KeyB { get; }

    public ChannelTun TunA { get; }

    public ChannelTun TunB { get; }

    public ChannelBind BindA { get; }

    public ChannelBind BindB { get; }

    public WireGuard.Device A { get; }

    public WireGuard.Device B { get; }

    public Peer PeerBAtA { get; }

    public Peer PeerAAtB { get; }

    /// <summary>Hang guard for awaits: long enough never to matter unless something is broken.</summary>
    public static CancellationToken Guard => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    /// <summary>Sends one packet from A's TUN and returns what B's TUN writes.</summary>
    public async Task<byte[]> SendAToB(byte[] packet)
    {
        await TunA.Inject(packet, Guard);
        return await TunB.Written.ReadAsync(Guard);
    }

    /// <summary>Sends one packet from B's TUN and returns what A's TUN writes.</summary>
    public async Task<byte[]> SendBToA(byte[] packet)
    {
        await TunB.Inject(packet, Guard);
        return await TunA.Written.ReadAsync(Guard);
    }

    /// <summary>Next datagram A sent (copies are recorded by the bind).</summary>
    public static async Task<SentDatagram> NextSent(ChannelBind bind, Func<SentDatagram, bool> match)
    {
        while (true)
        {
            var sent = await bind.Sent.ReadAsync(Guard);
            if (match(sent))
            {
                return sent;
            }
        }
    }

    public static bool IsType(SentDatagram d, byte type) => d.Datagram.Length > 0 && d.Datagram[0] == type;

    /// <summary>
    /// Waits until the device's in-order threads have finished with everything queued for the peer so
    /// far (timers are armed after a batch is sent or written): a keepalive round trip through the queues.
    /// </summary>
    public static Task TimerSettled(WireGuard.Device device, Peer peer) => device.Drained();

    /// <summary>Drops everything recorded as sent so far.</summary>
    public static void DrainSent(ChannelBind bind)
    {
        while (bind.Sent.TryRead(out _))
        {
        }
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
