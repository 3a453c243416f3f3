using System.Buffers;
using Weft.Core.Keys;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

// Disco: authenticated ping / pong / call-me-maybe, probing and path choice.
public sealed partial class MagicBind
{
    /// <summary>A bug in disco handling must cost one message, never the socket's reader thread (and with it the daemon).</summary>
    private void HandleDiscoSafely(ReadOnlySpan<byte> datagram, UdpEndpoint from, NodePublic? relayedFrom, ProbeSocket? via = null)
    {
        try
        {
            HandleDisco(datagram, from, relayedFrom, via);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _discoMalformed);
            LogDiscoFailed(_logger, ex);
        }
    }

    /// <summary>
    /// Handles one sealed disco message from <paramref name="from"/> (direct) or through the relay from
    /// <paramref name="relayedFrom"/>, on the main socket or birthday socket <paramref name="via"/>. Everything not from a
    /// peer, not sealed by it, or seen before is dropped and counted.
    /// </summary>
    private void HandleDisco(ReadOnlySpan<byte> datagram, UdpEndpoint from, NodePublic? relayedFrom, ProbeSocket? via)
    {
        var sender = DiscoCodec.ReadSender(datagram);
        if (!_peers.ByDisco.TryGetValue(sender, out var peer))
        {
            Interlocked.Increment(ref _discoUnknown);
            return;
        }
        if (relayedFrom is { } relayed && relayed != peer.NodeKey)
        {
            // The relay vouches for the source node key: a disco key borrowed by another node is a forgery.
            Interlocked.Increment(ref _discoForged);
            return;
        }
        Span<byte> plaintext = stackalloc byte[DiscoMessage.MaxLength];
        if (!DiscoCodec.TryOpen(datagram, peer.SharedKey, plaintext, out var length, out var counter))
        {
            Interlocked.Increment(ref _discoForged);
            LogDiscoForged(_logger, from.ToString(), peer.NodeKey.ToString());
            return;
        }
        lock (peer.Gate)
        {
            if (!peer.Replay.TryAccept(counter))
            {
                Interlocked.Increment(ref _discoReplayed);
                return;
            }
        }
        if (!DiscoMessage.TryParse(plaintext[..length], out var message))
        {
            Interlocked.Increment(ref _discoMalformed);
            return;
        }
        var viaRelay = relayedFrom is not null;
        switch (message.Type)
        {
            case DiscoMessageType.Ping:
                if (message.NodeKey != peer.NodeKey)
                {
                    Interlocked.Increment(ref _discoForged);
                    return;
                }
                OnPing(peer, message, from, viaRelay, via);
                break;
            case DiscoMessageType.Pong:
                OnPong(peer, message, from, viaRelay, via);
                break;
            case DiscoMessageType.CallMeMaybe:
                OnCallMeMaybe(peer, message);
                break;
        }
    }

    private void OnPing(MagicPeer peer, DiscoMessage ping, UdpEndpoint from, bool viaRelay, ProbeSocket? via)
    {
        var pong = new DiscoMessage { Type = DiscoMessageType.Pong, TxId = ping.TxId, Observed = viaRelay ? default : from };
        // Answer on the socket it came in on: on a birthday socket, that is the one mapping the peer's NAT lets through.
        SendDisco(peer, pong, viaRelay ? default : from, via);
        if (viaRelay)
        {
            return;
        }
        // The ping's source is where the peer's NAT maps it towards us: the best hole to punch back through.
        bool added;
        lock (peer.Gate)
        {
            added = peer.AddCandidate(from, fromNetmap: false, via);
        }
        _byDirect[from] = peer;
        if (added)
        {
            LogCandidateLearned(_logger, peer.NodeKey.ToString(), via is null ? from.ToString() : $"{from} (birthday socket {via.Port})");
            PingNow(peer, [from], via);
        }
    }

    private void OnPong(MagicPeer peer, DiscoMessage pong, UdpEndpoint from, bool viaRelay, ProbeSocket? via)
    {
        var now = _time.GetTimestamp();
        bool changed;
        lock (peer.Gate)
        {
            if (!peer.Pending.Remove(pong.TxId, out var pending))
            {
                // Not ours, or answered already (a duplicate that took the other path).
                return;
            }
            var rtt = _time.GetElapsedTime(pending.SentAt, now);
            if (viaRelay || pending.To.IsEmpty)
            {
                peer.RelayLatency = rtt;
                return;
            }
            if (pending.To != from || pending.Via != via)
            {
                // Answered from another address (or on another socket) than we pinged: the path we asked about is not proven.
                return;
            }
            var candidate = peer.Candidates.Find(c => c.Endpoint == from && c.Via == via);
            if (candidate is null && pending.Spray)
            {
                // A sprayed guess hit the peer's NAT mapping: that port is the way in.
                peer.AddCandidate(from, fromNetmap: false, via);
                candidate = peer.Candidates.Find(c => c.Endpoint == from && c.Via == via);
                _byDirect[from] = peer;
                Interlocked.Increment(ref _birthdayHits);
            }
            if (candidate is null)
            {
                return;
            }
            candidate.LastPong = now;
            candidate.Latency = rtt;
            changed = peer.Choose(_time);
        }
        if (changed)
        {
            LogPathChanged(_logger, peer.NodeKey.ToString(), $"direct {from}");
            ResendInitiation(peer, now);
        }
    }

    /// <summary>
    /// A direct path just appeared: if WireGuard's last handshake initiation to this peer is recent, it may have been
    /// lost on the way that did not work (a relay the peer was not on yet), and WireGuard would resend only after 5 s.
    /// Send the same bytes again on the new path: an initiation seen twice is answered once (its timestamp must grow).
    /// </summary>
    private void ResendInitiation(MagicPeer peer, long now)
    {
        byte[]? initiation;
        lock (peer.Gate)
        {
            initiation = peer.LastInitiation is { } last && peer.LastInitiationAt != 0
                && _time.GetElapsedTime(peer.LastInitiationAt, now) < PathConstants.InitiationResendWindow ? last : null;
            peer.LastInitiationAt = 0;
        }
        if (initiation is null)
        {
            return;
        }
        var path = peer.Current;
        if (!path.IsDirect)
        {
            return;
        }
        if (path.Via is { } via)
        {
            via.Send(initiation, path.Direct);
        }
        else
        {
            _inner.Send([initiation], [initiation.Length], path.Direct);
        }
        Interlocked.Increment(ref _initiationsResent);
    }

    private void OnCallMeMaybe(MagicPeer peer, DiscoMessage callMeMaybe)
    {
        // Ping every endpoint it names now (new or not: its NAT is opening towards us right now), and no others:
        // however often a peer asks, it costs one ping per endpoint it lists.
        var endpoints = new List<UdpEndpoint>(callMeMaybe.Endpoints.Count);
        lock (peer.Gate)
        {
            foreach (var endpoint in callMeMaybe.Endpoints)
            {
                if (endpoint.IsEmpty || endpoint.Port == 0 || endpoints.Contains(endpoint))
                {
                    continue;
                }
                peer.AddCandidate(endpoint, fromNetmap: false);
                _byDirect[endpoint] = peer;
                endpoints.Add(endpoint);
            }
        }
        Volatile.Write(ref peer.LastActive, _time.GetTimestamp());
        PingNow(peer, endpoints);
    }

    /// <summary>Pings the given endpoints of <paramref name="peer"/> at once (from the main socket or <paramref name="via"/>), outside the heartbeat.</summary>
    private void PingNow(MagicPeer peer, List<UdpEndpoint> endpoints, ProbeSocket? via = null)
    {
        var now = _time.GetTimestamp();
        var pings = new List<(UdpEndpoint To, UInt128 TxId)>(endpoints.Count);
        lock (peer.Gate)
        {
            foreach (var endpoint in endpoints)
            {
                var txId = DiscoMessage.NewTxId();
                peer.Pending[txId] = new PendingPing(endpoint, now, via);
                pings.Add((endpoint, txId));
            }
        }
        foreach (var (to, txId) in pings)
        {
            SendDisco(peer, new DiscoMessage { Type = DiscoMessageType.Ping, TxId = txId, NodeKey = _nodeKey.Value }, to, via);
        }
    }

    /// <summary>
    /// Pings every candidate of <paramref name="peer"/> directly and once through the relay, and (at most every
    /// <see cref="PathConstants.CallMeMaybeInterval"/>, while not direct) asks it through the relay to ping us back,
    /// so both NATs open towards each other at about the same time.
    /// </summary>
    private void Probe(MagicPeer peer)
    {
        if (!peer.HasDisco)
        {
            // Nothing can be sealed to it yet; its packets go through the relay until its disco key arrives.
            return;
        }
        var now = _time.GetTimestamp();
        List<(UdpEndpoint To, ProbeSocket? Via, UInt128 TxId)> pings;
        bool callMeMaybe;
        lock (peer.Gate)
        {
            if (_time.GetElapsedTime(peer.LastProbe, now) < PathConstants.HeartbeatInterval)
            {
                return;
            }
            peer.LastProbe = now;
            pings = new List<(UdpEndpoint, ProbeSocket?, UInt128)>(peer.Candidates.Count + 1);
            foreach (var candidate in peer.Candidates)
            {
                pings.Add((candidate.Endpoint, candidate.Via, DiscoMessage.NewTxId()));
            }
            if (_relay is not null)
            {
                pings.Add((default, null, DiscoMessage.NewTxId()));
            }
            foreach (var (to, via, txId) in pings)
            {
                peer.Pending[txId] = new PendingPing(to, now, via);
            }
            callMeMaybe = _relay is not null && !peer.Current.IsDirect && _localEndpoints.Length > 0
                && (peer.LastCallMeMaybe == 0 || _time.GetElapsedTime(peer.LastCallMeMaybe, now) >= PathConstants.CallMeMaybeInterval);
            if (callMeMaybe)
            {
                peer.LastCallMeMaybe = now;
            }
        }
        foreach (var (to, via, txId) in pings)
        {
            SendDisco(peer, new DiscoMessage { Type = DiscoMessageType.Ping, TxId = txId, NodeKey = _nodeKey.Value }, to, via);
        }
        if (callMeMaybe)
        {
            SendDisco(peer, new DiscoMessage { Type = DiscoMessageType.CallMeMaybe, Endpoints = _localEndpoints }, default);
        }
        if (!peer.Current.IsDirect)
        {
            BirthdayRound(peer, now);
        }
    }

    /// <summary>Seals and sends a disco message directly to <paramref name="to"/> (from the main socket or <paramref name="via"/>), or through the relay when it is empty.</summary>
    private void SendDisco(MagicPeer peer, DiscoMessage message, UdpEndpoint to, ProbeSocket? via = null)
    {
        Span<byte> plaintext = stackalloc byte[DiscoMessage.MaxLength];
        var length = message.Write(plaintext);
        var buffer = ArrayPool<byte>.Shared.Rent(DiscoCodec.MaxLength);
        try
        {
            var sealedLength = DiscoCodec.Seal(buffer, DiscoPublic, peer.SharedKey, (ulong)Interlocked.Increment(ref _discoCounter), plaintext[..length]);
            if (to.IsEmpty)
            {
                _relay?.TrySend(peer.NodeKey, buffer.AsSpan(0, sealedLength));
                return;
            }
            if (_inbound is null)
            {
                return;
            }
            if (via is not null)
            {
                via.Send(buffer.AsSpan(0, sealedLength), to);
                return;
            }
            _inner.Send([buffer], [sealedLength], to);
        }
        catch (ObjectDisposedException)
        {
            // The socket closed under us; disco retries on the next heartbeat.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Runs every <see cref="PathConstants.TickInterval"/>: drops stale trust and pings, and keeps active peers probed.</summary>
    private void Tick()
    {
        if (_inbound is null)
        {
            return;
        }
        var now = _time.GetTimestamp();
        foreach (var peer in _peers.ByNode.Values)
        {
            bool changed;
            lock (peer.Gate)
            {
                List<UInt128>? expired = null;
                foreach (var (txId, pending) in peer.Pending)
                {
                    if (_time.GetElapsedTime(pending.SentAt, now) > PathConstants.PingTimeout)
                    {
                        (expired ??= []).Add(txId);
                    }
                }
                if (expired is not null)
                {
                    foreach (var txId in expired)
                    {
                        peer.Pending.Remove(txId);
                    }
                }
                changed = peer.Choose(_time);
            }
            if (changed)
            {
                LogPathChanged(_logger, peer.NodeKey.ToString(), peer.Current.IsDirect ? $"direct {peer.Current.Direct}" : "relay");
            }
            if (_time.GetElapsedTime(Volatile.Read(ref peer.LastActive), now) < PathConstants.ActiveWindow)
            {
                Probe(peer);
            }
        }
    }
}
