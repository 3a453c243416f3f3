using System.Buffers.Binary;
using Weft.Core.Control;

namespace Weft.Relay.Protocol;

/// <summary>
/// Seals the frames one side sends after the handshake with its Noise transport cipher (ChaCha20-Poly1305, the
/// 64-bit frame counter as nonce). A sealed frame is [sealed length u32 big-endian][AEAD(type u8 || body)], so the
/// type is authenticated and hidden, and the length is bound by the tag. Not thread-safe: the one writer of a
/// connection seals in the order it writes, which is the order the other side opens.
/// </summary>
internal sealed class FrameSealer(ControlCipher cipher)
{
    /// <summary>Frames sealed so far (the counter the next frame gets).</summary>
    public ulong Counter => cipher.Counter;

    /// <summary>
    /// Seals the plaintext frame <paramref name="frame"/> ([type][body length][body]) into <paramref name="destination"/>,
    /// which is either separate memory or starts at <paramref name="frame"/> itself (in place; then it needs 16 more bytes).
    /// Overwrites <paramref name="frame"/>[4]. Returns the bytes written: frame.Length + 16.
    /// </summary>
    public int Seal(Span<byte> frame, Span<byte> destination)
    {
        // The type byte moves over the last byte of the length (already known), so type || body is contiguous and
        // seals in one pass without a copy.
        frame[RelayConstants.SealedHeaderLength] = frame[0];
        var plaintext = frame[RelayConstants.SealedHeaderLength..];
        var sealedLength = plaintext.Length + Weft.Core.Crypto.Aead.TagLength;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)sealedLength);
        cipher.Seal(plaintext, destination.Slice(RelayConstants.SealedHeaderLength, sealedLength));
        return RelayConstants.SealedHeaderLength + sealedLength;
    }
}
