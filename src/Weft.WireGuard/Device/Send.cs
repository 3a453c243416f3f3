using Weft.WireGuard.Noise;

namespace Weft.WireGuard;

// Outbound: TUN → allowed-IPs lookup → packet filter → per-peer batch with counters → crypto workers → in-order sender → UDP.
public sealed partial class Device
{
    /// <summary>Reads packets from the TUN, routes each to its peer and queues one batch per peer.</summary>
    private void RoutineReadFromTun()
    {
        var capacity = Math.Max(_tun.BatchSize, 1);
        var buffers = new byte[capacity][];
        var sizes = new int[capacity];
        var touched = new List<Peer>(16);
        Pool.RentInto(buffers);
        while (!_disposed)
        {
            var count = _tun.Read(buffers, sizes, Constants.MessageOffset);
            if (count == 0)
            {
                Log.TunClosed(_logger, _tun.Name);
                break;
            }
            var filter = _packetFilter;
            for (var i = 0; i < count; i++)
            {
                var packet = buffers[i].AsSpan(Constants.MessageOffset, sizes[i]);
                var peer = Route(packet);
                if (peer is null)
                {
                    continue;
                }
                // After routing, so packets no peer would take never reach (or create state in) the filter.
                if (filter is not null && !filter.AllowOutbound(packet))
                {
                    Interlocked.Increment(ref Stats._filteredOutbound);
                    continue;
                }
                var batch = peer.Building;
                if (batch is null)
                {
                    batch = RentBatch();
                    batch.Peer = peer;
                    peer.Building = batch;
                    touched.Add(peer);
                }
                batch.Add(buffers[i], sizes[i]);
                buffers[i] = Pool.Rent();
                if (batch.IsFull)
                {
                    peer.Building = null;
                    touched.Remove(peer);
                    SendBatch(peer, batch);
                }
            }
            foreach (var peer in touched)
            {
                var batch = peer.Building!;
                peer.Building = null;
                SendBatch(peer, batch);
            }
            touched.Clear();
        }
        Pool.Return(buffers);
        _closed.TrySetResult();
    }

    /// <summary>The peer whose allowed IPs contain the packet's destination, or null (dropped and counted).</summary>
    private Peer? Route(ReadOnlySpan<byte> packet)
    {
        if (packet.Length >= 20 && packet[0] >> 4 == 4)
        {
            var peer = AllowedIps.Lookup(packet.Slice(16, 4));
            if (peer is null)
            {
                Interlocked.Increment(ref Stats._noRoute);
            }
            return peer;
        }
        if (packet.Length >= 40 && packet[0] >> 4 == 6)
        {
            var peer = AllowedIps.Lookup(packet.Slice(24, 16));
            if (peer is null)
            {
                Interlocked.Increment(ref Stats._noRoute);
            }
            return peer;
        }
        Interlocked.Increment(ref Stats._malformed);
        return null;
    }

    /// <summary>
    /// Assigns counters under the peer's current keypair and queues the batch, or stages its packets and
    /// starts a handshake when no usable keypair exists.
    /// </summary>
    internal void SendBatch(Peer peer, PacketBatch batch)
    {
        if (!peer.Usable || _identity is null)
        {
            ReturnBatch(batch);
            return;
        }
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty)
        {
            Interlocked.Add(ref Stats._noEndpoint, batch.Count);
            ReturnBatch(batch);
            return;
        }
        lock (peer.SendGate)
        {
            var keypair = peer.Current;
            if (keypair is null || !peer.IsUsableForSending(keypair))
            {
                StageAndInitiate(peer, batch);
                return;
            }
            for (var i = 0; i < batch.Count; i++)
            {
                if (!keypair.TryNextCounter(out batch.Counters[i]))
                {
                    // Counters exhausted: the rest waits for a new session.
                    for (var j = i; j < batch.Count; j++)
                    {
                        peer.Stage(batch.Buffers[j], batch.Sizes[j]);
                        batch.Buffers[j] = null!;
                    }
                    batch.Count = i;
                    QueueInitiation(peer);
                    break;
                }
            }
            if (batch.Count == 0)
            {
                ReturnBatch(batch);
                return;
            }
            batch.Inbound = false;
            batch.Peer = peer;
            batch.Keypair = keypair;
            batch.Destination = endpoint;
            if (_inlineCrypto)
            {
                // Few cores: handing batches between threads costs more than it parallelises.
                SealBatch(batch);
                SendSealed(batch);
                MaybeRekeyOnSend(peer, keypair);
                return;
            }
            // Queue in order first: the sender must see batches in counter order.
            if (!_outboundInOrder.Add(batch))
            {
                ReturnBatch(batch);
                return;
            }
            _cryptoQueue.Add(batch);
            MaybeRekeyOnSend(peer, keypair);
        }
    }

    /// <summary>The initiator rekeys a session that is old or has carried many messages (whitepaper 6.2).</summary>
    private void MaybeRekeyOnSend(Peer peer, Keypair keypair)
    {
        if (keypair.IsInitiator &&
            (keypair.SentCount > Constants.RekeyAfterMessages || Time.GetElapsedTime(keypair.CreatedTimestamp) > Times.RekeyAfterTime))
        {
            QueueInitiation(peer);
        }
    }

    private void StageAndInitiate(Peer peer, PacketBatch batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            peer.Stage(batch.Buffers[i], batch.Sizes[i]);
            batch.Buffers[i] = null!;
        }
        batch.Count = 0;
        ReturnBatch(batch);
        QueueInitiation(peer);
    }

    /// <summary>Sends staged packets after a handshake, or a keepalive if none are waiting (to confirm the session).</summary>
    internal void SendStaged(Peer peer, bool keepaliveIfNone)
    {
        if (!peer.HasStaged)
        {
            if (keepaliveIfNone)
            {
                SendKeepalive(peer);
            }
            return;
        }
        while (peer.HasStaged)
        {
            var batch = RentBatch();
            batch.Peer = peer;
            peer.TakeStaged(batch);
            if (batch.Count == 0)
            {
                ReturnBatch(batch);
                return;
            }
            SendBatch(peer, batch);
            if (peer.Current is null)
            {
                return;
            }
        }
    }

    /// <summary>Sends an empty transport message (a keepalive) if a session exists.</summary>
    internal void SendKeepalive(Peer peer)
    {
        if (_disposed)
        {
            return;
        }
        if (peer.Current is null)
        {
            // No session: as the reference does, stage the keepalive and start a handshake, so setting a
            // persistent keepalive (or a restarted node nudging its peers) brings a session up at once.
            if (!peer.HasStaged)
            {
                peer.Stage(Pool.Rent(), 0);
            }
            QueueInitiation(peer);
            return;
        }
        var batch = RentBatch();
        batch.Peer = peer;
        batch.Add(Pool.Rent(), 0);
        SendBatch(peer, batch);
    }

    /// <summary>Encrypts or decrypts every packet of the batches the readers queue, on every core.</summary>
    private void RoutineCrypto()
    {
        while (_cryptoQueue.Take() is { } batch)
        {
            if (batch.Inbound)
            {
                OpenBatch(batch);
            }
            else
            {
                SealBatch(batch);
            }
            batch.Done.Set();
        }
    }

    private void SealBatch(PacketBatch batch)
    {
        var keypair = batch.Keypair!;
        var mtu = CurrentMtu();
        for (var i = 0; i < batch.Count; i++)
        {
            // Padding to 16 but not beyond the MTU (whitepaper 5.4.6) happens inside Seal.
            // 0 means the keypair was retired meanwhile: the sender skips the packet.
            batch.Sizes[i] = keypair.Seal(batch.Buffers[i], batch.Sizes[i], batch.Counters[i], mtu);
        }
    }

    /// <summary>The TUN's MTU, asked of the kernel at most once a second (it costs a system call).</summary>
    private int CurrentMtu()
    {
        var now = Environment.TickCount64;
        if (now - Volatile.Read(ref _mtuCheckedAt) > 1000)
        {
            Volatile.Write(ref _mtu, _tun.Mtu);
            Volatile.Write(ref _mtuCheckedAt, now);
        }
        return Volatile.Read(ref _mtu);
    }

    /// <summary>Sends finished outbound batches in the order they were queued.</summary>
    private void RoutineSendInOrder()
    {
        while (_outboundInOrder.Take() is { } batch)
        {
            if (batch.Fence is { } fence)
            {
                fence.TrySetResult();
                continue;
            }
            batch.Done.Wait();
            SendSealed(batch);
        }
    }

    /// <summary>Sends a sealed batch to its destination, updates counters and timers, and recycles it.</summary>
    private void SendSealed(PacketBatch batch)
    {
        {
            var peer = batch.Peer!;
            long bytes = 0;
            var data = false;
            var sendable = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                var size = batch.Sizes[i];
                if (size == 0)
                {
                    continue;
                }
                // Compact away packets whose keypair was retired while they waited.
                if (sendable != i)
                {
                    (batch.Buffers[sendable], batch.Buffers[i]) = (batch.Buffers[i], batch.Buffers[sendable]);
                    batch.Sizes[sendable] = size;
                }
                sendable++;
                bytes += size;
                data |= size > Constants.MessageTransportSize;
            }
            if (sendable == 0)
            {
                ReturnBatch(batch);
                return;
            }
            // Timers first: the answer to these packets may come back before the send call returns.
            peer.AddTx(bytes);
            peer.TimersAnyAuthenticatedPacketTraversal();
            peer.TimersAnyAuthenticatedPacketSent();
            if (data)
            {
                peer.TimersDataSent();
            }
            try
            {
                _bind.Send(batch.Buffers.AsSpan(0, sendable), batch.Sizes.AsSpan(0, sendable), batch.Destination);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                Log.SendFailed(_logger, peer.ToString(), ex.Message);
            }
            ReturnBatch(batch);
        }
    }
}
