using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

/// <summary>
/// Two MagicBinds A and B over a ChannelBind pair (each behind a <see cref="GatedBind"/> that can kill the direct
/// path) and a <see cref="FakeRelay"/>, each the other's peer with the other's real endpoint in the netmap.
/// </summary>
internal sealed class MagicPair : IDisposable
{
    private readonly bool _endpointsInNetmap;

    /// <summary>Builds the pair on <paramref name="time"/> (a fake clock when null); unless <paramref name="open"/> is false the binds are opened and given each other as peers.</summary>
    public MagicPair(TimeProvider? time = null, bool endpointsInNetmap = true, bool open = true)
    {
        Clock = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        _endpointsInNetmap = endpointsInNetmap;
        ChannelBind.CreatePair(out var rawA, out var rawB);
        RawA = rawA;
        RawB = rawB;
        GateA = new GatedBind(rawA);
        GateB = new GatedBind(rawB);
        NodeA = new NodePublic(PrivateKey.Generate().PublicKey());
        NodeB = new NodePublic(PrivateKey.Generate().PublicKey());
        A = new MagicBind(GateA, Relay.Link(NodeA), PrivateKey.Generate(), NodeA, NullLogger.Instance, Clock);
        B = new MagicBind(GateB, Relay.Link(NodeB), PrivateKey.Generate(), NodeB, NullLogger.Instance, Clock);
        if (open)
        {
            A.Open(0);
            B.Open(0);
            Connect();
        }
    }

    public TimeProvider Clock { get; }

    /// <summary>The fake clock (only for pairs built without a real one).</summary>
    public FakeTimeProvider Time => (FakeTimeProvider)Clock;

    /// <summary>What the daemon does on a netmap: each side learns the other (with its real endpoint, when the netmap lists it).</summary>
    public void Connect()
    {
        A.SetLocalEndpoints([RawA.LocalEndpoint]);
        B.SetLocalEndpoints([RawB.LocalEndpoint]);
        A.SetPeers([new MagicPeerConfig(NodeB, B.DiscoPublic, _endpointsInNetmap ? [RawB.LocalEndpoint] : [])]);
        B.SetPeers([new MagicPeerConfig(NodeA, A.DiscoPublic, _endpointsInNetmap ? [RawA.LocalEndpoint] : [])]);
    }

    public FakeRelay Relay { get; } = new();

    public ChannelBind RawA { get; }

    public ChannelBind RawB { get; }

    public GatedBind GateA { get; }

    public GatedBind GateB { get; }

    public NodePublic NodeA { get; }

    public NodePublic NodeB { get; }

    public MagicBind A { get; }

    public MagicBind B { get; }

    /// <summary>Hang guard for awaits: long enough never to matter unless something is broken.</summary>
    public static TimeSpan Guard => TimeSpan.FromSeconds(20);

    /// <summary>Sends one datagram from A to B's synthetic endpoint, as WireGuard would, and returns what B's engine reads.</summary>
    public static async Task<(byte[] Data, UdpEndpoint From)> SendAndReceive(MagicBind from, MagicBind to, UdpEndpoint toSynthetic, byte[] datagram)
    {
        var receive = Task.Run(() =>
        {
            var buffers = new[] { new byte[65536] };
            var sizes = new int[1];
            var sources = new UdpEndpoint[1];
            var count = to.Receive(buffers, sizes, sources);
            return count == 0 ? (Array.Empty<byte>(), default) : (buffers[0].AsSpan(0, sizes[0]).ToArray(), sources[0]);
        });
        from.Send([datagram], [datagram.Length], toSynthetic);
        return await receive.WaitAsync(Guard);
    }

    /// <summary>Polls a condition the disco threads will make true (no fake time passes); false after the guard.</summary>
    public static bool Eventually(Func<bool> condition) => SpinWait.SpinUntil(condition, Guard);

    /// <summary>
    /// Advances fake time in ticks until <paramref name="condition"/> holds, giving the disco threads a moment after each
    /// tick; returns the fake time it took, or null when it did not hold within <paramref name="limit"/>.
    /// </summary>
    public TimeSpan? AdvanceUntil(Func<bool> condition, TimeSpan limit)
    {
        var elapsed = TimeSpan.Zero;
        while (elapsed <= limit)
        {
            if (SpinWait.SpinUntil(condition, TimeSpan.FromMilliseconds(300)))
            {
                return elapsed;
            }
            Time.Advance(PathConstants.TickInterval);
            elapsed += PathConstants.TickInterval;
        }
        return null;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
