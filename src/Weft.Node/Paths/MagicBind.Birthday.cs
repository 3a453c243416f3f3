using System.Security.Cryptography;
using Weft.Relay.Stun;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

// Birthday probing for a pair where one side is behind a hard NAT (a new public port per destination) and the other
// behind an easy one (one public port for every destination, but inbound allowed only from where it sent). Ordinary
// disco cannot open that pair: the hard side's port towards us is unknown. So the hard side opens many sockets, each
// with its own mapping towards our one public endpoint, and we spray guesses at its public address; a guess that hits
// one of those ports reaches it, and its answer comes back through the mapping the guess itself opened on our side.
// Tailscale's client does not do this; the cost is bounded: 256 guesses (or pings) a second for 20 s, then 60 s of rest.
public sealed partial class MagicBind
{
    private volatile bool _hardNat;
    private long _birthdayAttempts;
    private long _birthdayGuesses;
    private long _birthdayHits;

    /// <summary>
    /// Whether our own NAT maps per destination (netcheck sets it: two STUN servers saw different ports). Decides our
    /// role in birthday probing: the hard side opens sockets, the easy side sprays guesses.
    /// </summary>
    public bool HardNat
    {
        get => _hardNat;
        set => _hardNat = value;
    }

    /// <summary>Birthday attempts started (either role).</summary>
    public long BirthdayAttempts => Interlocked.Read(ref _birthdayAttempts);

    /// <summary>Guessed pings sprayed at hard-NAT peers.</summary>
    public long BirthdayGuesses => Interlocked.Read(ref _birthdayGuesses);

    /// <summary>Sprayed guesses that a peer answered.</summary>
    public long BirthdayHits => Interlocked.Read(ref _birthdayHits);

    /// <summary>One heartbeat's worth of birthday probing for a peer we have no direct path to; a no-op unless exactly one side is hard.</summary>
    private void BirthdayRound(MagicPeer peer, long now)
    {
        var selfHard = _hardNat;
        List<UdpEndpoint> targets;
        var opening = false;
        lock (peer.Gate)
        {
            if (selfHard == peer.HardNat || (selfHard && peer.PortMapped))
            {
                // (A port-mapped peer takes our pings from any port: ordinary disco reaches it.)
                // Both easy: ordinary disco opens the pair. Both hard: no guess can (only a port mapping or the relay).
                return;
            }
            targets = PublicIPv4Targets(peer);
            if (targets.Count == 0)
            {
                // Nothing to aim at until the peer's public endpoints are in the netmap: the window has not begun.
                return;
            }
            var elapsed = peer.BirthdayStarted == 0 ? TimeSpan.MaxValue : _time.GetElapsedTime(peer.BirthdayStarted, now);
            if (elapsed > PathConstants.BirthdayWindow)
            {
                if (elapsed < PathConstants.BirthdayWindow + PathConstants.BirthdayRetry)
                {
                    CloseBirthdaySocketsLocked(peer, keepWinners: true);
                    return;
                }
                peer.BirthdayStarted = now;
                Interlocked.Increment(ref _birthdayAttempts);
            }
            if (selfHard && !peer.BirthdayOpening && peer.BirthdayOpenedFor != peer.BirthdayStarted)
            {
                // Once per attempt (a short count, out of descriptors, is not retried until the next one).
                peer.BirthdayOpening = true;
                peer.BirthdayOpenedFor = peer.BirthdayStarted;
                opening = true;
            }
        }
        if (!selfHard)
        {
            Spray(peer, targets, now);
        }
        else if (opening)
        {
            // Opening 256 sockets takes a while: not on the thread that sends WireGuard's packets.
            _ = Task.Run(() => OpenBirthdaySockets(peer, targets));
        }
        else
        {
            PingFromBirthdaySockets(peer, targets, now);
        }
    }

    /// <summary>Easy side: one round of pings at random ports of each public address of the peer.</summary>
    private void Spray(MagicPeer peer, List<UdpEndpoint> targets, long now)
    {
        var guesses = new List<(UdpEndpoint To, UInt128 TxId)>(PathConstants.BirthdayPorts * targets.Count);
        Span<byte> address = stackalloc byte[16];
        var sprayed = new HashSet<UdpEndpoint>();
        lock (peer.Gate)
        {
            foreach (var target in targets)
            {
                target.WriteAddress(address);
                if (!sprayed.Add(UdpEndpoint.FromIPv4(address[12..], 0)))
                {
                    // Another endpoint on the same address: its ports are guessed already.
                    continue;
                }
                for (var i = 0; i < PathConstants.BirthdayPorts; i++)
                {
                    var port = (ushort)RandomNumberGenerator.GetInt32(PathConstants.BirthdayLowestPort, ushort.MaxValue + 1);
                    var guess = UdpEndpoint.FromIPv4(address[12..], port);
                    var txId = DiscoMessage.NewTxId();
                    peer.Pending[txId] = new PendingPing(guess, now, Spray: true);
                    guesses.Add((guess, txId));
                }
            }
        }
        var nodeKey = _nodeKey.Value;
        foreach (var (to, txId) in guesses)
        {
            SendDisco(peer, new DiscoMessage { Type = DiscoMessageType.Ping, TxId = txId, NodeKey = nodeKey }, to);
        }
        Interlocked.Add(ref _birthdayGuesses, guesses.Count);
    }

    /// <summary>Hard side: opens this attempt's sockets and sends the first pings from them (each opens a mapping towards the peer).</summary>
    private void OpenBirthdaySockets(MagicPeer peer, List<UdpEndpoint> targets)
    {
        var opened = new List<ProbeSocket>(PathConstants.BirthdayPorts);
        try
        {
            for (var i = 0; i < PathConstants.BirthdayPorts && Volatile.Read(ref _disposed) == 0; i++)
            {
                opened.Add(ProbeSocket.Open(OnProbeDatagram));
            }
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // Out of ports or descriptors: probe with what we have.
            LogBirthdaySocketsShort(_logger, opened.Count, ex.SocketErrorCode.ToString());
        }
        lock (peer.Gate)
        {
            peer.BirthdayOpening = false;
            if (Volatile.Read(ref _disposed) != 0 || !_peers.ByNode.TryGetValue(peer.NodeKey, out var current) || current != peer)
            {
                opened.ForEach(s => s.Dispose());
                return;
            }
            (peer.BirthdaySockets ??= []).AddRange(opened);
        }
        PingFromBirthdaySockets(peer, targets, _time.GetTimestamp());
    }

    private void PingFromBirthdaySockets(MagicPeer peer, List<UdpEndpoint> targets, long now)
    {
        var pings = new List<(UdpEndpoint To, ProbeSocket Via, UInt128 TxId)>();
        lock (peer.Gate)
        {
            foreach (var socket in peer.BirthdaySockets ?? [])
            {
                foreach (var target in targets)
                {
                    var txId = DiscoMessage.NewTxId();
                    peer.Pending[txId] = new PendingPing(target, now, socket);
                    pings.Add((target, socket, txId));
                }
            }
        }
        var nodeKey = _nodeKey.Value;
        foreach (var (to, via, txId) in pings)
        {
            SendDisco(peer, new DiscoMessage { Type = DiscoMessageType.Ping, TxId = txId, NodeKey = nodeKey }, to, via);
        }
    }

    /// <summary>A datagram on a birthday socket: disco is handled (answered on that socket), WireGuard from a known peer goes to the engine.</summary>
    private void OnProbeDatagram(ReadOnlySpan<byte> datagram, UdpEndpoint from, ProbeSocket via)
    {
        if (DiscoCodec.LooksLikeDisco(datagram))
        {
            HandleDiscoSafely(datagram, from, relayedFrom: null, via);
            return;
        }
        if (StunMessage.LooksLikeStun(datagram))
        {
            return;
        }
        var inbound = _inbound;
        if (inbound is null || !_byDirect.TryGetValue(from, out var peer))
        {
            // Only a peer that proved this path talks to us here.
            Interlocked.Increment(ref _inboundDropped);
            return;
        }
        Volatile.Write(ref peer.LastActive, _time.GetTimestamp());
        Enqueue(inbound, datagram, peer.Synthetic);
    }

    private void CloseBirthdaySockets(MagicPeer peer, bool keepWinners)
    {
        lock (peer.Gate)
        {
            CloseBirthdaySocketsLocked(peer, keepWinners);
        }
    }

    // Caller holds peer.Gate. A winner is a socket some candidate goes through: the peer answered on it.
    private static void CloseBirthdaySocketsLocked(MagicPeer peer, bool keepWinners)
    {
        if (peer.BirthdaySockets is not { } sockets)
        {
            return;
        }
        var kept = new List<ProbeSocket>();
        foreach (var socket in sockets)
        {
            if (keepWinners && peer.Candidates.Exists(c => c.Via == socket))
            {
                kept.Add(socket);
            }
            else
            {
                socket.Dispose();
            }
        }
        if (!keepWinners)
        {
            peer.Candidates.RemoveAll(c => c.Via is not null);
        }
        peer.BirthdaySockets = kept.Count > 0 ? kept : null;
    }

    // Caller holds peer.Gate. The peer's public IPv4 endpoints from the netmap (its STUN-seen and port-mapped ones).
    private static List<UdpEndpoint> PublicIPv4Targets(MagicPeer peer)
    {
        var targets = new List<UdpEndpoint>();
        Span<byte> address = stackalloc byte[16];
        foreach (var candidate in peer.Candidates)
        {
            if (!candidate.FromNetmap || candidate.Via is not null || !candidate.Endpoint.IsIPv4)
            {
                continue;
            }
            candidate.Endpoint.WriteAddress(address);
            if (IsPublicIPv4(address[12..]) && !targets.Contains(candidate.Endpoint))
            {
                targets.Add(candidate.Endpoint);
            }
        }
        return targets;
    }

    private static bool IsPublicIPv4(ReadOnlySpan<byte> a) =>
        !(a[0] == 10 || a[0] == 127 || a[0] == 0 || a[0] >= 224
            || (a[0] == 172 && (a[1] & 0xf0) == 16)
            || (a[0] == 192 && a[1] == 168)
            || (a[0] == 169 && a[1] == 254)
            || (a[0] == 100 && (a[1] & 0xc0) == 64));
}
