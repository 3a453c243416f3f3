using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

/// <summary>Birthday probing's budget and targets, on a fake clock (whether it opens real NATs is the NAT lab's to show).</summary>
public sealed class BirthdayTests
{
    private static readonly UdpEndpoint PeerPublic = UdpEndpoint.From(IPEndPoint.Parse("203.0.113.7:4000"));
    private static readonly UdpEndpoint PeerPrivate = UdpEndpoint.From(IPEndPoint.Parse("10.0.0.5:4000"));

    [Fact]
    public void EasySide_SpraysTheHardPeersPublicAddressOnly_256AHeartbeat_ForTheWindow_ThenRests()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        var relay = new FakeRelay();
        var self = new NodePublic(PrivateKey.Generate().PublicKey());
        var peer = new NodePublic(PrivateKey.Generate().PublicKey());
        var sent = new RecordingBind();
        using var bind = new MagicBind(sent, relay.Link(self), PrivateKey.Generate(), self, NullLogger.Instance, time);
        bind.Open(0);
        bind.SetPeers([new MagicPeerConfig(peer, new DiscoPublic(PrivateKey.Generate().PublicKey()), [PeerPublic, PeerPrivate], HardNat: true)]);

        // WireGuard's first packet for the peer wakes probing.
        bind.Send([new byte[] { 4, 0, 0, 0 }], [4], MagicBind.SyntheticEndpoint(peer));
        Assert.Equal(1, bind.BirthdayAttempts);
        Assert.Equal(PathConstants.BirthdayPorts, bind.BirthdayGuesses);
        var guesses = sent.To.Where(e => e.ToIPEndPoint().Address.Equals(IPAddress.Parse("203.0.113.7")) && e != PeerPublic).ToList();
        Assert.Equal(PathConstants.BirthdayPorts, guesses.Count);
        Assert.All(guesses, g => Assert.InRange(g.Port, PathConstants.BirthdayLowestPort, ushort.MaxValue));
        Assert.True(guesses.Distinct().Count() > PathConstants.BirthdayPorts / 2, "guesses are spread over the port range");
        // The private address gets its ordinary ping, never guesses.
        Assert.Single(sent.To, e => e.ToIPEndPoint().Address.Equals(IPAddress.Parse("10.0.0.5")));

        for (var second = 1; second <= 30; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }
        // 20 s of window at one round a heartbeat (the first round at 0 s), then nothing until the retry.
        var inWindow = bind.BirthdayGuesses;
        Assert.InRange(inWindow, 20 * PathConstants.BirthdayPorts, 21 * PathConstants.BirthdayPorts);
        Assert.Equal(1, bind.BirthdayAttempts);

        for (var second = 31; second <= 85; second++)
        {
            // Keep the peer active, as traffic waiting for it would.
            bind.Send([new byte[] { 4, 0, 0, 0 }], [4], MagicBind.SyntheticEndpoint(peer));
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(2, bind.BirthdayAttempts);
        Assert.True(bind.BirthdayGuesses > inWindow);
        Assert.Equal(0, bind.BirthdayHits);
    }

    [Fact]
    public void BothEasy_OrBothHard_OrAPortMappedPeer_NoBirthdayProbing()
    {
        foreach (var (selfHard, peerHard, peerMapped) in new[] { (false, false, false), (true, true, false), (true, false, true) })
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
            var relay = new FakeRelay();
            var self = new NodePublic(PrivateKey.Generate().PublicKey());
            var peer = new NodePublic(PrivateKey.Generate().PublicKey());
            var sent = new RecordingBind();
            using var bind = new MagicBind(sent, relay.Link(self), PrivateKey.Generate(), self, NullLogger.Instance, time) { HardNat = selfHard };
            bind.Open(0);
            bind.SetPeers([new MagicPeerConfig(peer, new DiscoPublic(PrivateKey.Generate().PublicKey()), [PeerPublic], HardNat: peerHard, PortMapped: peerMapped)]);
            bind.Send([new byte[] { 4, 0, 0, 0 }], [4], MagicBind.SyntheticEndpoint(peer));
            time.Advance(TimeSpan.FromSeconds(3));

            Assert.Equal(0, bind.BirthdayAttempts);
            Assert.Equal(0, bind.BirthdayGuesses);
            Assert.All(sent.To, e => Assert.Equal(PeerPublic, e));
        }
    }

    /// <summary>A bind that records where each datagram went and receives nothing.</summary>
    private sealed class RecordingBind : IBind
    {
        private readonly ConcurrentQueue<UdpEndpoint> _to = new();
        private readonly ManualResetEventSlim _closed = new();

        public IReadOnlyList<UdpEndpoint> To => [.. _to];

        public int BatchSize => 1;

        public ushort Open(ushort port)
        {
            _closed.Reset();
            return 41641;
        }

        public void Close() => _closed.Set();

        public void SetMark(uint mark)
        {
        }

        public int Receive(Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints)
        {
            _closed.Wait();
            return 0;
        }

        public void Send(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, in UdpEndpoint endpoint)
        {
            for (var i = 0; i < buffers.Length; i++)
            {
                _to.Enqueue(endpoint);
            }
        }

        public void Dispose() => _closed.Set();
    }
}
