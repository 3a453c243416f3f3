using System.Buffers.Binary;
using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Relay.Protocol;

/// <summary>
/// Seals what one side sends after the handshake with its Noise transport cipher (ChaCha20-Poly1305, a 64-bit
/// counter as nonce). The unit is a record: [sealed length u32 big-endian][AEAD(frame || frame || ...)], the frames
/// a writer gathered for one write, sealed in place with one AEAD call (whose fixed cost dominates at packet sizes).
/// Not thread-safe: the one writer of a connection seals in the order it writes, which is the order the other side opens.
/// </summary>
internal sealed class FrameSealer(ControlCipher cipher)
{
    /// <summary>Records sealed so far (the counter the next record gets).</summary>
    public ulong Counter => cipher.Counter;

    /// <summary>
    /// Seals the record laid out in <paramref name="record"/>: four bytes for the length, then
    /// <paramref name="plaintextLength"/> bytes of whole plaintext frames, then room for the 16-byte tag.
    /// Returns the record's length on the wire.
    /// </summary>
    public int Seal(Span<byte> record, int plaintextLength)
    {
        if (plaintextLength is < RelayConstants.FrameHeaderLength or > RelayConstants.MaxRecordPlaintext)
        {
            throw new ArgumentOutOfRangeException(nameof(plaintextLength), plaintextLength, "a record holds at least one frame header and at most MaxRecordPlaintext bytes");
        }

        var sealedLength = plaintextLength + Aead.TagLength;
        BinaryPrimitives.WriteUInt32BigEndian(record, (uint)sealedLength);
        var body = record.Slice(RelayConstants.RecordHeaderLength, sealedLength);
        cipher.Seal(body[..plaintextLength], body);
        return RelayConstants.RecordHeaderLength + sealedLength;
    }
}
