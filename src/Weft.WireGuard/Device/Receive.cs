using System.Buffers.Binary;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard;

// Inbound: UDP → classify → handshake queue, or per-keypair batch → crypto workers → in-order writer → packet filter → TUN.
public sealed partial class Device
{
    /// <summary>Reads datagrams, sends handshake messages to the handshake thread and transport messages to be decrypted.</summary>
    private void RoutineReceiveFromBind()
    {
        var capacity = Math.Max(_bind.BatchSize, 1);
        var buffers = new byte[capacity][];
        var sizes = new int[capacity];
        var sources = new UdpEndpoint[capacity];
        var touched = new List<Peer>(16);
        Pool.RentInto(buffers);
        while (!_disposed)
        {
            var generation = Volatile.Read(ref _bindGeneration);
            var count = _bind.Receive(buffers, sizes, sources);
            if (count == 0)
            {
                // Closed: the socket is being reopened on another port, or the device is stopping.
                WaitForBind(generation);
                continue;
            }
            for (var i = 0; i < count; i++)
            {
                var size = sizes[i];
                var datagram = buffers[i].AsSpan(0, size);
                switch (Messages.Classify(datagram))
                {
                    case MessageType.Transport:
                        if (!TryAddTransport(buffers[i], size, sources[i], touched))
                        {
                            continue;
                        }
                        buffers[i] = Pool.Rent();
                        break;
                    case MessageType.Initiation:
                    case MessageType.Response:
                    case MessageType.CookieReply:
                        QueueHandshakeMessage(datagram, sources[i]);
                        break;
                    default:
                        Interlocked.Increment(ref Stats._malformed);
                        break;
                }
            }
            foreach (var peer in touched)
            {
                var batch = peer.Receiving!;
                peer.Receiving = null;
                QueueInbound(batch);
            }
            touched.Clear();
        }
        Pool.Return(buffers);
    }

    /// <summary>Waits until the socket was reopened since <paramref name="generation"/>, or the device stops.</summary>
    private void WaitForBind(int generation)
    {
        lock (_bindSignal)
        {
            while (!_disposed && _bindGeneration == generation)
            {
                Monitor.Wait(_bindSignal);
            }
        }
    }

    /// <summary>Adds a transport message to its keypair's batch; false when dropped (the buffer stays with the reader).</summary>
    private bool TryAddTransport(byte[] buffer, int size, in UdpEndpoint source, List<Peer> touched)
    {
        var receiver = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4, 4));
        var entry = _indexes.Lookup(receiver);
        var keypair = entry?.Keypair;
        if (keypair is null)
        {
            Interlocked.Increment(ref Stats._unknownIndex);
            return false;
        }
        var peer = entry!.Peer;
        if (Time.GetElapsedTime(keypair.CreatedTimestamp) >= Times.RejectAfterTime)
        {
            Interlocked.Increment(ref Stats._expiredKeypair);
            return false;
        }
        var batch = peer.Receiving;
        if (batch is not null && !ReferenceEquals(batch.Keypair, keypair))
        {
            // A different session of the same peer: finish the old batch first to keep order.
            peer.Receiving = null;
            touched.Remove(peer);
            QueueInbound(batch);
            batch = null;
        }
        if (batch is null)
        {
            batch = RentBatch();
            batch.Inbound = true;
            batch.Peer = peer;
            batch.Keypair = keypair;
            peer.Receiving = batch;
            touched.Add(peer);
        }
        batch.Sources[batch.Count] = source;
        batch.MessageSizes[batch.Count] = size;
        batch.Add(buffer, size);
        if (batch.IsFull)
        {
            peer.Receiving = null;
            touched.Remove(peer);
            QueueInbound(batch);
        }
        return true;
    }

    private void QueueInbound(PacketBatch batch)
    {
        if (_inlineCrypto)
        {
            OpenBatch(batch);
            WriteOpened(batch, _inlineWriteBuffers, _inlineWriteSizes);
            return;
        }
        if (!_inboundInOrder.Add(batch))
        {
            ReturnBatch(batch);
            return;
        }
        _cryptoQueue.Add(batch);
    }

    private static void OpenBatch(PacketBatch batch)
    {
        var keypair = batch.Keypair!;
        for (var i = 0; i < batch.Count; i++)
        {
            batch.Opened[i] = keypair.TryOpen(batch.Buffers[i], batch.Sizes[i], out batch.Sizes[i], out batch.Counters[i]);
        }
    }

    /// <summary>
    /// Takes decrypted batches in arrival order: replay check, inner-packet checks, cryptokey routing on
    /// the source address, the packet filter, session confirmation, roaming, timers; then one TUN write per batch.
    /// </summary>
    private void RoutineWriteInOrder()
    {
        var capacity = _batchCapacity;
        var writeBuffers = new byte[capacity][];
        var writeSizes = new int[capacity];
        while (_inboundInOrder.Take() is { } batch)
        {
            if (batch.Fence is { } fence)
            {
                fence.TrySetResult();
                continue;
            }
            batch.Done.Wait();
            WriteOpened(batch, writeBuffers, writeSizes);
        }
    }

    /// <summary>Checks an opened batch in order and writes what passes to the TUN; recycles the batch.</summary>
    private void WriteOpened(PacketBatch batch, byte[][] writeBuffers, int[] writeSizes)
    {
        {
            var peer = batch.Peer!;
            var keypair = batch.Keypair!;
            var filter = _packetFilter;
            var write = 0;
            var authenticated = false;
            var data = false;
            long bytes = 0;
            UdpEndpoint lastSource = default;
            for (var i = 0; i < batch.Count; i++)
            {
                if (!batch.Opened[i])
                {
                    Interlocked.Increment(ref Stats._decryptFailed);
                    continue;
                }
                if (!keypair.Replay.TryAccept(batch.Counters[i]))
                {
                    Interlocked.Increment(ref Stats._replayed);
                    continue;
                }
                authenticated = true;
                lastSource = batch.Sources[i];
                bytes += batch.MessageSizes[i];
                var length = batch.Sizes[i];
                if (length == 0)
                {
                    continue; // a keepalive
                }
                var packet = batch.Buffers[i].AsSpan(Constants.MessageOffset, length);
                if (!TryCheckInner(packet, peer, out var ipLength))
                {
                    continue;
                }
                // A data packet for WireGuard's timers even when the filter refuses it: the session is alive.
                data = true;
                if (filter is not null && !filter.AllowInbound(packet[..ipLength]))
                {
                    Interlocked.Increment(ref Stats._filteredInbound);
                    continue;
                }
                writeBuffers[write] = batch.Buffers[i];
                writeSizes[write] = ipLength;
                write++;
            }
            if (authenticated)
            {
                peer.AddRx(bytes);
                if (peer.ReceivedWith(keypair))
                {
                    // The peer used the session we answered: it is confirmed; send what waited.
                    peer.TimersHandshakeComplete();
                    SendStaged(peer, keepaliveIfNone: false);
                }
                // Roaming: the source of the last authenticated packet is the peer's endpoint now.
                if (peer.Endpoint != lastSource)
                {
                    peer.Roam(lastSource);
                }
                peer.TimersAnyAuthenticatedPacketReceived();
                peer.TimersAnyAuthenticatedPacketTraversal();
                if (data)
                {
                    peer.TimersDataReceived();
                }
                // The initiator renews a session nearing REJECT_AFTER_TIME once, even without sending (whitepaper 6.2).
                if (keypair.IsInitiator && !peer.SentLastMinuteHandshake &&
                    Time.GetElapsedTime(keypair.CreatedTimestamp) > Times.RejectAfterTime - Times.KeepaliveTimeout - Times.RekeyTimeout)
                {
                    peer.SentLastMinuteHandshake = true;
                    QueueInitiation(peer);
                }
            }
            if (write > 0)
            {
                try
                {
                    _tun.Write(writeBuffers.AsSpan(0, write), writeSizes.AsSpan(0, write), Constants.MessageOffset);
                }
                catch (IOException ex)
                {
                    Log.TunWriteFailed(_logger, _tun.Name, ex.Message);
                }
                Array.Clear(writeBuffers, 0, write);
            }
            ReturnBatch(batch);
        }
    }

    /// <summary>
    /// Checks a decrypted packet: a whole IPv4 or IPv6 packet (trailing padding trimmed) whose source
    /// address the peer may use; anything else is dropped and counted.
    /// </summary>
    private bool TryCheckInner(ReadOnlySpan<byte> packet, Peer peer, out int ipLength)
    {
        ipLength = 0;
        ReadOnlySpan<byte> source;
        switch (packet[0] >> 4)
        {
            case 4 when packet.Length >= 20:
                ipLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
                source = packet.Slice(12, 4);
                break;
            case 6 when packet.Length >= 40:
                ipLength = 40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
                source = packet.Slice(8, 16);
                break;
            default:
                Interlocked.Increment(ref Stats._invalidInnerPacket);
                return false;
        }
        if (ipLength > packet.Length || ipLength < 20)
        {
            Interlocked.Increment(ref Stats._invalidInnerPacket);
            return false;
        }
        // Cryptokey routing on receive: only the peer that owns the source address may send from it.
        if (!ReferenceEquals(AllowedIps.Lookup(source), peer))
        {
            Interlocked.Increment(ref Stats._notAllowedSource);
            return false;
        }
        return true;
    }
}
