using System.Buffers.Binary;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard;

/// <summary>A handshake message waiting for the handshake thread, copied out of the receive buffer.</summary>
internal sealed class HandshakeWork
{
    public readonly byte[] Message = new byte[Constants.MessageInitiationSize];
    public int Length;
    public UdpEndpoint Source;

    /// <summary>Non-null for a request to send an initiation rather than a received message.</summary>
    public Peer? InitiateFor;

    /// <summary>Non-null for a marker that completes when the handshake thread reaches it.</summary>
    public TaskCompletionSource? Fence;
}

// Handshakes: one thread consumes initiations, responses and cookie replies and sends initiations.
public sealed partial class Device
{
    // _handshakeWorkGate guards _freeHandshakeWork.
    private readonly Lock _handshakeWorkGate = new();
    private readonly Stack<HandshakeWork> _freeHandshakeWork = new();

    private HandshakeWork RentHandshakeWork()
    {
        lock (_handshakeWorkGate)
        {
            if (_freeHandshakeWork.TryPop(out var work))
            {
                return work;
            }
        }
        return new HandshakeWork();
    }

    private void ReturnHandshakeWork(HandshakeWork work)
    {
        work.InitiateFor = null;
        work.Fence = null;
        work.Length = 0;
        lock (_handshakeWorkGate)
        {
            if (_freeHandshakeWork.Count < Constants.MaxQueuedHandshakes)
            {
                _freeHandshakeWork.Push(work);
            }
        }
    }

    private void QueueHandshakeMessage(ReadOnlySpan<byte> datagram, in UdpEndpoint source)
    {
        var work = RentHandshakeWork();
        datagram.CopyTo(work.Message);
        work.Length = datagram.Length;
        work.Source = source;
        if (!_handshakeQueue.TryAdd(work))
        {
            Interlocked.Increment(ref Stats._handshakeQueueFull);
            ReturnHandshakeWork(work);
        }
    }

    /// <summary>Asks the handshake thread to send an initiation to the peer (once per burst).</summary>
    internal void QueueInitiation(Peer peer)
    {
        if (_disposed || !peer.TryMarkInitiationQueued())
        {
            return;
        }
        var work = RentHandshakeWork();
        work.InitiateFor = peer;
        if (!_handshakeQueue.TryAdd(work))
        {
            peer.ClearInitiationQueued();
            ReturnHandshakeWork(work);
        }
    }

    private void RoutineHandshakes()
    {
        var reply = new byte[Constants.MessageResponseSize];
        while (_handshakeQueue.Take() is { } work)
        {
            try
            {
                if (work.Fence is { } fence)
                {
                    fence.TrySetResult();
                }
                else if (work.InitiateFor is { } peer)
                {
                    peer.ClearInitiationQueued();
                    SendInitiation(peer, isRetry: false);
                }
                else
                {
                    HandleHandshakeMessage(work.Message.AsSpan(0, work.Length), work.Source, reply);
                }
            }
            finally
            {
                ReturnHandshakeWork(work);
            }
        }
    }

    /// <summary>
    /// Under load when the queue is long (a flood is likely), and for a while after; then handshakes
    /// must carry a mac2 proving the source address, or they get a cookie reply instead (whitepaper 5.3).
    /// </summary>
    private bool IsUnderLoad()
    {
        if (_options.ForceUnderLoad)
        {
            return true;
        }
        var now = Time.GetTimestamp();
        if (_handshakeQueue.Count >= Constants.UnderLoadQueueSize)
        {
            Interlocked.Exchange(ref _underLoadUntil, now + (long)(Constants.UnderLoadAfterTime.TotalSeconds * Time.TimestampFrequency));
            return true;
        }
        return now < Interlocked.Read(ref _underLoadUntil);
    }

    private void HandleHandshakeMessage(Span<byte> message, in UdpEndpoint source, byte[] scratch)
    {
        var identity = _identity;
        var checker = _cookieChecker;
        if (identity is null || checker is null)
        {
            return;
        }
        var type = message[0];
        if (type == Constants.MessageCookieReplyType)
        {
            var receiver = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
            var entry = _indexes.Lookup(receiver);
            if (entry is not null && entry.Peer.CookieGenerator.TryConsumeReply(message))
            {
                Interlocked.Increment(ref Stats._cookieRepliesAccepted);
            }
            else
            {
                Interlocked.Increment(ref Stats._handshakeRejected);
            }
            return;
        }
        if (!checker.CheckMac1(message))
        {
            Interlocked.Increment(ref Stats._handshakeMac1Failed);
            return;
        }
        if (IsUnderLoad())
        {
            if (!checker.CheckMac2(message, source))
            {
                // Prove the address before we spend a Diffie-Hellman on it: answer with a cookie.
                var sender = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
                var cookieReply = scratch.AsSpan(0, Constants.MessageCookieReplySize);
                if (checker.TryCreateReply(message, sender, source, cookieReply))
                {
                    SendRaw(cookieReply, source);
                    Interlocked.Increment(ref Stats._cookieRepliesSent);
                }
                return;
            }
            if (!_rateLimiter.Allow(source))
            {
                Interlocked.Increment(ref Stats._rateLimited);
                return;
            }
        }
        if (type == Constants.MessageInitiationType)
        {
            ConsumeInitiation(identity, message, source, scratch);
        }
        else
        {
            ConsumeResponse(identity, message, source);
        }
    }

    private void ConsumeInitiation(StaticIdentity identity, ReadOnlySpan<byte> message, in UdpEndpoint source, byte[] scratch)
    {
        Peer? yielding = null;
        if (!NoiseProtocol.TryConsumeInitiation(identity, message, key => FindHandshakeOrYield(identity, key, ref yielding), Time.GetTimestamp(), Time,
                out var handshake, out _) || handshake is null)
        {
            if (yielding is { } tied)
            {
                // Both sides initiated at once. Answering would overwrite our own initiation, so the peer's answer to
                // it would be refused and each side would wait 5 s for a retry. The side with the greater public key
                // keeps its initiation; the other answers it. Ours may have been lost (the peer did not know us yet):
                // send the very same message again, once. If it did arrive, the copy is a replay the peer ignores.
                Interlocked.Increment(ref Stats._simultaneousInitiations);
                if (!tied.YieldResent && tied.LastInitiation is { } last)
                {
                    tied.YieldResent = true;
                    SendRaw(last, tied.Endpoint);
                }
                return;
            }
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        var peer = FindPeer(handshake.RemoteStatic);
        if (peer is null)
        {
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        peer.Roam(source);
        ForgetHandshakeIndex(peer);
        var entry = new IndexEntry(peer);
        entry.Index = _indexes.NewIndex(entry);
        var response = scratch.AsSpan(0, Constants.MessageResponseSize);
        if (!NoiseProtocol.TryCreateResponse(handshake, entry.Index, response))
        {
            _indexes.Remove(entry.Index);
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        peer.CookieGenerator.AddMacs(response);
        var keypair = NoiseProtocol.BeginSession(handshake, Time.GetTimestamp());
        if (keypair is null)
        {
            _indexes.Remove(entry.Index);
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        entry.Keypair = keypair;
        peer.InstallAsResponder(keypair);
        Interlocked.Increment(ref Stats._handshakesCompleted);
        peer.TimersSessionDerived();
        Log.HandshakeResponded(_logger, peer.ToString());
        // Timers first: the answer to this message may come back before the send call returns.
        peer.AddTx(response.Length);
        peer.TimersAnyAuthenticatedPacketTraversal();
        peer.TimersAnyAuthenticatedPacketSent();
        SendRaw(response, source);
    }

    private void ConsumeResponse(StaticIdentity identity, ReadOnlySpan<byte> message, in UdpEndpoint source)
    {
        if (!NoiseProtocol.TryConsumeResponse(identity, message, FindHandshakeByIndex, out var handshake) || handshake is null)
        {
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        var receiver = BinaryPrimitives.ReadUInt32LittleEndian(message[8..]);
        var entry = _indexes.Lookup(receiver);
        if (entry is null || entry.Keypair is not null || !ReferenceEquals(entry.Peer.Handshake, handshake))
        {
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        var peer = entry.Peer;
        var keypair = NoiseProtocol.BeginSession(handshake, Time.GetTimestamp());
        if (keypair is null)
        {
            Interlocked.Increment(ref Stats._handshakeRejected);
            return;
        }
        entry.Keypair = keypair;
        peer.HandshakeEntry = null;
        peer.Roam(source);
        peer.InstallAsInitiator(keypair);
        Interlocked.Increment(ref Stats._handshakesCompleted);
        peer.TimersSessionDerived();
        peer.TimersHandshakeComplete();
        peer.TimersAnyAuthenticatedPacketTraversal();
        peer.TimersAnyAuthenticatedPacketReceived();
        Log.HandshakeCompleted(_logger, peer.ToString());
        // The responder may not send until it hears from us on the new session: send what waited, or a keepalive.
        SendStaged(peer, keepaliveIfNone: true);
    }

    private Handshake? FindUsableHandshake(Key32 publicKey)
    {
        var peer = FindPeer(publicKey);
        return peer is { Usable: true } ? peer.Handshake : null;
    }

    /// <summary>
    /// The handshake to consume a peer's initiation into; null (with <paramref name="yielding"/> set) when our own
    /// initiation to that peer is in flight and our public key is the greater: then ours wins the tie.
    /// </summary>
    private Handshake? FindHandshakeOrYield(StaticIdentity identity, Key32 remote, ref Peer? yielding)
    {
        var peer = FindPeer(remote);
        if (peer is not { Usable: true })
        {
            return null;
        }
        var ourKey = identity.PublicKey;
        ReadOnlySpan<byte> ours = ourKey;
        ReadOnlySpan<byte> theirs = remote;
        if (peer.Handshake.State == HandshakeState.InitiationCreated && peer.InitiationSentRecently() && ours.SequenceCompareTo(theirs) > 0)
        {
            yielding = peer;
            return null;
        }
        return peer.Handshake;
    }

    private Handshake? FindHandshakeByIndex(uint index)
    {
        var entry = _indexes.Lookup(index);
        return entry is { Keypair: null } ? entry.Peer.Handshake : null;
    }

    /// <summary>Creates and sends a handshake initiation to the peer, unless one went out within REKEY_TIMEOUT.</summary>
    internal void SendInitiation(Peer peer, bool isRetry)
    {
        var identity = _identity;
        if (_disposed || identity is null || !peer.Usable)
        {
            return;
        }
        if (!isRetry && peer.InitiationSentRecently())
        {
            return;
        }
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty)
        {
            Interlocked.Increment(ref Stats._noEndpoint);
            return;
        }
        Span<byte> message = stackalloc byte[Constants.MessageInitiationSize];
        ForgetHandshakeIndex(peer);
        var entry = new IndexEntry(peer);
        entry.Index = _indexes.NewIndex(entry);
        if (!NoiseProtocol.TryCreateInitiation(identity, peer.Handshake, entry.Index, Tai64n.FromDateTime(Time.GetUtcNow()), message))
        {
            _indexes.Remove(entry.Index);
            return;
        }
        peer.HandshakeEntry = entry;
        peer.CookieGenerator.AddMacs(message);
        // Kept for a tie with the peer's initiation (see ConsumeInitiation); handshakes are rare, one copy per peer.
        message.CopyTo(peer.LastInitiation ??= new byte[Constants.MessageInitiationSize]);
        peer.YieldResent = false;
        peer.MarkInitiationSent();
        Log.HandshakeInitiated(_logger, peer.ToString(), isRetry);
        peer.AddTx(message.Length);
        peer.TimersAnyAuthenticatedPacketTraversal();
        peer.TimersAnyAuthenticatedPacketSent();
        peer.TimersHandshakeInitiated();
        SendRaw(message, endpoint);
    }

    /// <summary>Sends one handshake or cookie message (not on the data path; copies into a pooled buffer).</summary>
    private void SendRaw(ReadOnlySpan<byte> message, in UdpEndpoint destination)
    {
        var buffer = Pool.Rent();
        try
        {
            message.CopyTo(buffer);
            Span<byte[]> buffers = [buffer];
            Span<int> sizes = [message.Length];
            _bind.Send(buffers, sizes, destination);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            Log.SendFailed(_logger, destination.ToString(), ex.Message);
        }
        finally
        {
            Pool.Return(buffer);
        }
    }
}
