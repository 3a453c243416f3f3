using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Weft.Core.Control;

namespace Weft.Relay.Protocol;

/// <summary>The result of opening the first sealed frame of a buffer.</summary>
internal enum SealedParse
{
    /// <summary>A whole frame was there and authenticated.</summary>
    Complete,

    /// <summary>More bytes must arrive first.</summary>
    NeedMore,

    /// <summary>The declared sealed length is over the limit: the connection is broken.</summary>
    TooLarge,

    /// <summary>The frame does not authenticate (altered, replayed, reordered, injected or cut short): the connection is broken.</summary>
    Forged,
}

/// <summary>
/// Opens the sealed frames one side receives after the handshake (see <see cref="FrameSealer"/>) in place, in the
/// pipe's own buffer: a frame that arrived in one segment is decrypted where it lies; one split across two segments
/// is first gathered into a pooled buffer. The cipher's counter is implicit and advances only on success, so a
/// replayed, dropped or reordered frame fails like an altered one. Not thread-safe: one reader per connection.
/// </summary>
internal sealed class FrameOpener(ControlCipher cipher)
{
    private byte[]? _gathered;

    /// <summary>Frames opened so far (the counter the next frame must carry).</summary>
    public ulong Counter => cipher.Counter;

    /// <summary>
    /// Opens the first frame of <paramref name="buffer"/>. On <see cref="SealedParse.Complete"/>, <paramref name="body"/>
    /// is the plaintext body (valid until the next call) and <paramref name="consumed"/> the bytes the frame took.
    /// The frame's bytes in <paramref name="buffer"/> are overwritten; the caller consumes them either way.
    /// </summary>
    public SealedParse TryOpen(in ReadOnlySequence<byte> buffer, out FrameType type, out ReadOnlySequence<byte> body, out int consumed)
    {
        Release();
        type = default;
        body = default;
        consumed = 0;
        if (buffer.Length < RelayConstants.SealedHeaderLength)
        {
            return SealedParse.NeedMore;
        }

        Span<byte> header = stackalloc byte[RelayConstants.SealedHeaderLength];
        buffer.Slice(0, RelayConstants.SealedHeaderLength).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        // Checked before waiting for the rest: a hostile length must not make us buffer memory. Any plaintext frame
        // injected at a frame boundary lands here too: its type byte makes the length at least 16 MiB.
        if (length > RelayConstants.MaxSealedLength)
        {
            return SealedParse.TooLarge;
        }

        if (length < RelayConstants.SealOverhead)
        {
            return SealedParse.Forged;
        }

        if (buffer.Length - RelayConstants.SealedHeaderLength < length)
        {
            return SealedParse.NeedMore;
        }

        var sealedBytes = buffer.Slice(RelayConstants.SealedHeaderLength, length);
        Memory<byte> region;
        if (sealedBytes.IsSingleSegment)
        {
            // The pipe hands out its own pooled memory as read-only; this reader is its only consumer and the bytes
            // are consumed right after, so decrypting them where they lie is safe and saves a copy.
            region = MemoryMarshal.AsMemory(sealedBytes.First);
        }
        else
        {
            _gathered = ArrayPool<byte>.Shared.Rent((int)length);
            sealedBytes.CopyTo(_gathered);
            region = _gathered.AsMemory(0, (int)length);
        }

        var plaintext = region[..((int)length - Weft.Core.Crypto.Aead.TagLength)];
        if (!cipher.TryOpen(region.Span, plaintext.Span))
        {
            return SealedParse.Forged;
        }

        type = (FrameType)plaintext.Span[0];
        body = new ReadOnlySequence<byte>(plaintext[1..]);
        consumed = RelayConstants.SealedHeaderLength + (int)length;
        return SealedParse.Complete;
    }

    /// <summary>Returns the pooled buffer of a gathered frame (its body is no longer valid); the opener stays usable.</summary>
    public void Release()
    {
        if (_gathered is { } gathered)
        {
            _gathered = null;
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }
}
