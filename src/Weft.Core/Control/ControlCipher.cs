using Weft.Core.Crypto;

namespace Weft.Core.Control;

/// <summary>
/// One direction of an established control channel: ChaCha20-Poly1305 with an implicit 64-bit counter
/// as nonce. The transport is reliable and ordered, so a dropped, replayed, reordered or altered frame
/// fails authentication. Not thread-safe; the channel serialises each direction. Keeps one keyed cipher
/// for its life: a relay seals a record per write batch, and keying per call would cost an allocation each.
/// </summary>
public sealed class ControlCipher : IDisposable
{
    private readonly System.Security.Cryptography.ChaCha20Poly1305 _aead;
    private ulong _counter;

    internal ControlCipher(in Key32 key)
    {
        ReadOnlySpan<byte> raw = key;
        _aead = new System.Security.Cryptography.ChaCha20Poly1305(raw);
    }

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

        Span<byte> nonce = stackalloc byte[12];
        Aead.Nonce(nonce, _counter++);
        _aead.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], ciphertext.Slice(plaintext.Length, Aead.TagLength));
    }

    /// <summary>Decrypts one frame into <paramref name="plaintext"/> (ciphertext.Length - 16 bytes); false when it does not authenticate.</summary>
    public bool TryOpen(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (_counter == ulong.MaxValue || ciphertext.Length < Aead.TagLength)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        Aead.Nonce(nonce, _counter);
        var length = ciphertext.Length - Aead.TagLength;
        try
        {
            _aead.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length]);
        }
        catch (System.Security.Cryptography.AuthenticationTagMismatchException)
        {
            return false;
        }

        _counter++;
        return true;
    }

    /// <summary>Frees the keyed cipher (the key with it).</summary>
    public void Dispose() => _aead.Dispose();
}
