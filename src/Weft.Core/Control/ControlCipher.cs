using Weft.Core.Crypto;

namespace Weft.Core.Control;

/// <summary>
/// One direction of an established control channel: ChaCha20-Poly1305 with an implicit 64-bit counter
/// as nonce. The transport is reliable and ordered, so a dropped, replayed, reordered or altered frame
/// fails authentication. Not thread-safe; the channel serialises each direction.
/// </summary>
public sealed class ControlCipher
{
    private readonly Key32 _key;
    private ulong _counter;

    internal ControlCipher(in Key32 key) => _key = key;

    /// <summary>Frames sealed or opened so far (the next nonce).</summary>
    public ulong Counter => _counter;

    /// <summary>Encrypts one frame; <paramref name="ciphertext"/> needs plaintext.Length + 16 bytes.</summary>
    public void Seal(ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        // Noise forbids nonce 2^64-1; no control session lives that long, but refuse rather than wrap.
        if (_counter == ulong.MaxValue)
        {
            throw new InvalidOperationException("control channel nonce exhausted");
        }

        Aead.Seal(_key, _counter++, plaintext, [], ciphertext);
    }

    /// <summary>Decrypts one frame into <paramref name="plaintext"/> (ciphertext.Length - 16 bytes); false when it does not authenticate.</summary>
    public bool TryOpen(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (_counter == ulong.MaxValue || !Aead.TryOpen(_key, _counter, ciphertext, [], plaintext))
        {
            return false;
        }

        _counter++;
        return true;
    }
}
