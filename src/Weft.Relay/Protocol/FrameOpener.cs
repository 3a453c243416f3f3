using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Relay.Protocol;

/// <summary>The result of opening the first record of a buffer.</summary>
internal enum SealedParse
{
    /// <summary>A whole record was there and authenticated.</summary>
    Complete,

    /// <summary>More bytes must arrive first.</summary>
    NeedMore,

    /// <summary>The declared sealed length is over the limit: the connection is broken.</summary>
    TooLarge,

    /// <summary>The record does not authenticate (altered, replayed, reordered, injected or cut short): the connection is broken.</summary>
    Forged,
}

/// <summary>
/// Opens the records one side receives after the handshake (see <see cref="FrameSealer"/>) in place, in the pipe's
/// own buffer: a record that arrived in one segment is decrypted where it lies; one split across segments is first
/// gathered into a pooled buffer. The cipher's counter is implicit and advances only on success, so a replayed,
/// dropped or reordered record fails like an altered one. Not thread-safe: one reader per connection.
/// </summary>
internal sealed class FrameOpener(ControlCipher cipher)
{
    private byte[]? _gathered;

    /// <summary>Records opened so far (the counter the next record must carry).</summary>
    public ulong Counter => cipher.Counter;

    /// <summary>
    /// Opens the first record of <paramref name="buffer"/>. On <see cref="SealedParse.Complete"/>, <paramref name="frames"/>
    /// holds its plaintext frames (valid until the next call or <see cref="Release"/>) and <paramref name="consumed"/>
    /// the bytes the record took. The record's bytes in <paramref name="buffer"/> are overwritten; the caller consumes
    /// them either way.
    /// </summary>
    public SealedParse TryOpen(in ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frames, out int consumed)
    {
        Release();
        frames = default;
        consumed = 0;
        if (buffer.Length < RelayConstants.RecordHeaderLength)
        {
            return SealedParse.NeedMore;
        }

        Span<byte> header = stackalloc byte[RelayConstants.RecordHeaderLength];
        buffer.Slice(0, RelayConstants.RecordHeaderLength).CopyTo(header);
        var declared = BinaryPrimitives.ReadUInt32BigEndian(header);
        // Checked before waiting for the rest: a hostile length must not make us buffer memory. Any plaintext frame
        // injected at a record boundary lands here too: its type byte makes the length at least 16 MiB.
        if (declared > RelayConstants.MaxSealedRecord)
        {
            return SealedParse.TooLarge;
        }

        var length = (int)declared;
        if (length < RelayConstants.MinSealedRecord)
        {
            return SealedParse.Forged;
        }

        if (buffer.Length - RelayConstants.RecordHeaderLength < length)
        {
            return SealedParse.NeedMore;
        }

        var sealedBytes = buffer.Slice(RelayConstants.RecordHeaderLength, length);
        Memory<byte> region;
        if (sealedBytes.IsSingleSegment)
        {
            // The pipe hands out its own pooled memory as read-only; this reader is its only consumer and the bytes
            // are consumed right after, so decrypting them where they lie is safe and saves a copy.
            region = MemoryMarshal.AsMemory(sealedBytes.First);
        }
        else
        {
            _gathered = ArrayPool<byte>.Shared.Rent(length);
            sealedBytes.CopyTo(_gathered);
            region = _gathered.AsMemory(0, length);
        }

        var plaintext = region[..(length - Aead.TagLength)];
        if (!cipher.TryOpen(region.Span, plaintext.Span))
        {
            return SealedParse.Forged;
        }

        frames = new ReadOnlySequence<byte>(plaintext);
        consumed = RelayConstants.RecordHeaderLength + length;
        return SealedParse.Complete;
    }

    /// <summary>
    /// Takes the next frame from an opened record's <paramref name="frames"/>; false when what is left is not a whole
    /// frame within <see cref="RelayConstants.MaxFrameBody"/> (a frame never spans records, so that is malformed).
    /// </summary>
    public static bool TryTakeFrame(ref ReadOnlySequence<byte> frames, out FrameType type, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (Frame.TryReadHeader(frames, RelayConstants.MaxFrameBody, out type, out var length) != FrameParse.Complete)
        {
            return false;
        }

        body = frames.Slice(RelayConstants.FrameHeaderLength, length);
        frames = frames.Slice(RelayConstants.FrameHeaderLength + length);
        return true;
    }

    /// <summary>Returns the pooled buffer of a gathered record (its frames are no longer valid); the opener stays usable.</summary>
    public void Release()
    {
        if (_gathered is { } gathered)
        {
            _gathered = null;
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }
}
