using System.Buffers.Binary;
using Weft.Core.Crypto;
using Weft.WireGuard.Noise.Interop;

namespace Weft.WireGuard.Noise;

/// <summary>
/// The transport keys of one session and the send counter. <see cref="Seal"/> and
/// <see cref="TryOpen"/> run on many worker threads at once, in place on a buffer laid out as the
/// wire message ([type 4][receiver 4][counter 8][ciphertext][tag 16]) and allocate nothing once
/// warm: each thread borrows an OpenSSL context keyed once for this keypair and sets only the nonce.
/// </summary>
public sealed class Keypair : IDisposable
{
    private const int TagLength = 16;

    // Read only to key a new context; zeroed by Dispose.
    private Key32 _sendKey;
    private Key32 _receiveKey;

    // Idle keyed contexts. A slot is taken with Interlocked.Exchange(slot, null) and given back with
    // CompareExchange(slot, context, null), so one context is never used by two threads at once.
    private readonly ChaChaPolyContext?[] _sealers;
    private readonly ChaChaPolyContext?[] _openers;

    // The next counter to hand out; only Interlocked touches it.
    private ulong _nextCounter;
    private int _disposed;

    internal Keypair(Key32 sendKey, Key32 receiveKey, bool isInitiator, uint localIndex, uint remoteIndex, long createdTimestamp)
    {
        _sendKey = sendKey;
        _receiveKey = receiveKey;
        IsInitiator = isInitiator;
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
        CreatedTimestamp = createdTimestamp;
        var slots = Math.Clamp(Environment.ProcessorCount * 2, 4, 64);
        _sealers = new ChaChaPolyContext?[slots];
        _openers = new ChaChaPolyContext?[slots];
    }

    /// <summary>Our receiver index: transport messages to us carry it.</summary>
    public uint LocalIndex { get; }

    /// <summary>The peer's receiver index: our transport messages carry it.</summary>
    public uint RemoteIndex { get; }

    /// <summary>True when we sent the initiation (only the initiator may rekey on age or use).</summary>
    public bool IsInitiator { get; }

    /// <summary>TimeProvider.GetTimestamp() when the session began.</summary>
    public long CreatedTimestamp { get; }

    /// <summary>Received counters seen so far; call <see cref="ReplayWindow.TryAccept"/> after a successful <see cref="TryOpen"/>.</summary>
    public ReplayWindow Replay { get; } = new();

    /// <summary>Counters handed out so far (for REKEY_AFTER_MESSAGES).</summary>
    public ulong SentCount => Math.Min(Interlocked.Read(ref _nextCounter), Constants.RejectAfterMessages);

    /// <summary>Takes the next send counter atomically; false once <see cref="Constants.RejectAfterMessages"/> is reached.</summary>
    public bool TryNextCounter(out ulong counter)
    {
        counter = Interlocked.Increment(ref _nextCounter) - 1;
        if (counter < Constants.RejectAfterMessages)
        {
            return true;
        }
        // Keep the counter pinned at the limit so it can never wrap around to reuse a nonce.
        Interlocked.Exchange(ref _nextCounter, Constants.RejectAfterMessages);
        counter = 0;
        return false;
    }

    /// <summary>
    /// Seals the plaintext at <c>buffer[16..16+length]</c>: zero-pads it to a multiple of 16 (the
    /// buffer must have room for that and the tag), encrypts in place and writes the header.
    /// Returns the message length, or 0 if the keypair was disposed meanwhile.
    /// </summary>
    public int Seal(Span<byte> buffer, int length, ulong counter) => Seal(buffer, length, counter, int.MaxValue);

    /// <summary>As <see cref="Seal(Span{byte}, int, ulong)"/>, but padding never takes the plaintext beyond <paramref name="mtu"/> bytes.</summary>
    public int Seal(Span<byte> buffer, int length, ulong counter, int mtu)
    {
        var padded = (length + Constants.PaddingMultiple - 1) & ~(Constants.PaddingMultiple - 1);
        padded = Math.Max(length, Math.Min(padded, mtu));
        var messageLength = Constants.MessageTransportHeaderSize + padded + TagLength;
        if ((uint)length > (uint)buffer.Length || buffer.Length < messageLength)
        {
            throw new ArgumentException($"a {length}-byte packet needs a {messageLength}-byte buffer, got {buffer.Length}", nameof(buffer));
        }
        var context = Rent(_sealers, encrypt: true);
        if (context is null)
        {
            return 0;
        }
        try
        {
            var content = buffer.Slice(Constants.MessageTransportOffsetContent, padded);
            content[length..].Clear();
            context.Seal(content, counter, buffer.Slice(Constants.MessageTransportOffsetContent + padded, TagLength));
        }
        finally
        {
            GiveBack(_sealers, context);
        }
        Messages.WriteType(buffer, Constants.MessageTransportType);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[Messages.TransportReceiver..], RemoteIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[Constants.MessageTransportOffsetCounter..], counter);
        return messageLength;
    }

    /// <summary>
    /// Opens the transport message <c>buffer[0..messageLength]</c> in place: the plaintext (with its
    /// padding) ends up at <c>buffer[16..16+plaintextLength]</c>. False for a bad tag, a counter at or
    /// beyond the limit, a too-short message or a disposed keypair. The replay check is the caller's next step.
    /// </summary>
    public bool TryOpen(Span<byte> buffer, int messageLength, out int plaintextLength, out ulong counter)
    {
        plaintextLength = 0;
        counter = 0;
        if (messageLength < Constants.MessageTransportSize || messageLength > buffer.Length)
        {
            return false;
        }
        var received = Messages.ReadCounter(buffer);
        if (received >= Constants.RejectAfterMessages)
        {
            return false;
        }
        var length = messageLength - Constants.MessageTransportSize;
        var context = Rent(_openers, encrypt: false);
        if (context is null)
        {
            return false;
        }
        bool ok;
        try
        {
            ok = context.TryOpen(
                buffer.Slice(Constants.MessageTransportOffsetContent, length),
                received,
                buffer.Slice(Constants.MessageTransportOffsetContent + length, TagLength));
        }
        finally
        {
            GiveBack(_openers, context);
        }
        if (ok)
        {
            plaintextLength = length;
            counter = received;
        }
        return ok;
    }

    /// <summary>Zeroes both keys and frees the idle contexts (contexts in use are freed when given back).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _sendKey.Clear();
        _receiveKey.Clear();
        DrainSlots(_sealers);
        DrainSlots(_openers);
    }

    /// <summary>Test hook: pretends this many counters were already used.</summary>
    internal void SetNextCounterForTest(ulong next) => Interlocked.Exchange(ref _nextCounter, next);

    private ChaChaPolyContext? Rent(ChaChaPolyContext?[] slots, bool encrypt)
    {
        // Start at a per-thread slot so threads rarely contend for the same one.
        var start = Environment.CurrentManagedThreadId;
        for (var i = 0; i < slots.Length; i++)
        {
            var context = Interlocked.Exchange(ref slots[(start + i) % slots.Length], null);
            if (context is not null)
            {
                return context;
            }
        }
        if (Volatile.Read(ref _disposed) != 0)
        {
            return null;
        }
        // Warm-up only: a thread (or more concurrent threads than slots) needs one more context.
        var key = encrypt ? _sendKey : _receiveKey;
        ChaChaPolyContext created;
        try
        {
            created = new ChaChaPolyContext(key, encrypt);
        }
        finally
        {
            key.Clear();
        }
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Dispose may have zeroed the key while we read it.
            created.Dispose();
            return null;
        }
        return created;
    }

    private void GiveBack(ChaChaPolyContext?[] slots, ChaChaPolyContext context)
    {
        var start = Environment.CurrentManagedThreadId;
        for (var i = 0; i < slots.Length; i++)
        {
            ref var slot = ref slots[(start + i) % slots.Length];
            if (Interlocked.CompareExchange(ref slot, context, null) is null)
            {
                if (Volatile.Read(ref _disposed) != 0)
                {
                    // Dispose may have drained the slots before we filled this one.
                    Interlocked.Exchange(ref slot, null)?.Dispose();
                }
                return;
            }
        }
        context.Dispose();
    }

    private static void DrainSlots(ChaChaPolyContext?[] slots)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            Interlocked.Exchange(ref slots[i], null)?.Dispose();
        }
    }
}
