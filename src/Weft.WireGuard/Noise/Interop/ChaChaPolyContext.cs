using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Weft.WireGuard.Noise.Interop;

/// <summary>
/// One OpenSSL ChaCha20-Poly1305 context keyed once for one direction; each packet only sets the
/// nonce. Not thread-safe: a <see cref="Keypair"/> lends each context to one thread at a time.
/// </summary>
internal sealed unsafe class ChaChaPolyContext : IDisposable
{
    private const int NonceLength = 12;
    private const int TagLength = 16;

    private static readonly IntPtr Cipher = LibCrypto.EVP_chacha20_poly1305();

    // _handle owns the native context and stays referenced (DangerousAddRef) until Dispose, so the
    // raw _context used per packet cannot be freed underneath a call.
    private readonly SafeEvpCipherContextHandle _handle;
    private readonly IntPtr _context;
    private readonly int _encrypt;
    private bool _referenced;

    /// <summary>Keys a new context for sealing (<paramref name="encrypt"/>) or opening.</summary>
    public ChaChaPolyContext(ReadOnlySpan<byte> key, bool encrypt)
    {
        _encrypt = encrypt ? 1 : 0;
        _handle = LibCrypto.EVP_CIPHER_CTX_new();
        if (_handle.IsInvalid)
        {
            _handle.Dispose();
            throw new CryptographicException("EVP_CIPHER_CTX_new failed (out of memory?)");
        }
        _handle.DangerousAddRef(ref _referenced);
        _context = _handle.DangerousGetHandle();
        fixed (byte* k = key)
        {
            if (LibCrypto.EVP_CipherInit_ex(_context, Cipher, IntPtr.Zero, null, null, _encrypt) != 1
                || LibCrypto.EVP_CIPHER_CTX_ctrl(_context, LibCrypto.EVP_CTRL_AEAD_SET_IVLEN, NonceLength, null) != 1
                || LibCrypto.EVP_CipherInit_ex(_context, IntPtr.Zero, IntPtr.Zero, k, null, _encrypt) != 1)
            {
                Dispose();
                LibCrypto.ERR_clear_error();
                throw new CryptographicException("keying an OpenSSL ChaCha20-Poly1305 context failed");
            }
        }
    }

    /// <summary>Encrypts <paramref name="data"/> in place under WireGuard's nonce for the counter and writes the tag.</summary>
    public void Seal(Span<byte> data, ulong counter, Span<byte> tag)
    {
        byte* nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, counter);
        int written;
        fixed (byte* d = data)
        fixed (byte* t = tag)
        {
            if (LibCrypto.EVP_CipherInit_ex(_context, IntPtr.Zero, IntPtr.Zero, null, nonce, 1) != 1
                || LibCrypto.EVP_CipherUpdate(_context, d, &written, d, data.Length) != 1
                || LibCrypto.EVP_CipherFinal_ex(_context, d + written, &written) != 1
                || LibCrypto.EVP_CIPHER_CTX_ctrl(_context, LibCrypto.EVP_CTRL_AEAD_GET_TAG, TagLength, t) != 1)
            {
                LibCrypto.ERR_clear_error();
                throw new CryptographicException("OpenSSL ChaCha20-Poly1305 encryption failed");
            }
        }
    }

    /// <summary>Decrypts <paramref name="data"/> in place; false when the tag does not verify (data is then garbage).</summary>
    public bool TryOpen(Span<byte> data, ulong counter, ReadOnlySpan<byte> tag)
    {
        byte* nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, counter);
        int written;
        fixed (byte* d = data)
        fixed (byte* t = tag)
        {
            if (LibCrypto.EVP_CipherInit_ex(_context, IntPtr.Zero, IntPtr.Zero, null, nonce, 0) == 1
                && LibCrypto.EVP_CIPHER_CTX_ctrl(_context, LibCrypto.EVP_CTRL_AEAD_SET_TAG, TagLength, t) == 1
                && LibCrypto.EVP_CipherUpdate(_context, d, &written, d, data.Length) == 1
                && LibCrypto.EVP_CipherFinal_ex(_context, d + written, &written) == 1)
            {
                return true;
            }
        }
        LibCrypto.ERR_clear_error();
        return false;
    }

    public void Dispose()
    {
        if (_referenced)
        {
            _referenced = false;
            _handle.DangerousRelease();
        }
        _handle.Dispose();
    }

    // WireGuard's nonce: 32 zero bits, then the counter as 64-bit little-endian.
    private static void WriteNonce(byte* nonce, ulong counter)
    {
        *(uint*)nonce = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(nonce + 4, 8), counter);
    }
}
