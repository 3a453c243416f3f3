namespace Weft.WireGuard.Noise.Interop;

/// <summary>
/// OpenSSL's libcrypto, called directly for the transport AEAD: a cipher context keyed once and
/// re-given only the nonce per packet costs about half of what a fresh keyed object does.
/// No import sets SetLastError: libcrypto reports failures through its own error queue, not errno.
/// The per-packet calls take the raw context (its SafeHandle is held referenced while in use) and the
/// constant-time ones skip the GC transition; EVP_CipherUpdate keeps it because its cost grows with the packet.
/// </summary>
internal static partial class LibCrypto
{
    /// <summary>The shared object every supported distribution ships with OpenSSL 3.</summary>
    internal const string Library = "libcrypto.so.3";

    /// <summary>EVP_CTRL_AEAD_SET_IVLEN from openssl/evp.h.</summary>
    internal const int EVP_CTRL_AEAD_SET_IVLEN = 0x9;

    /// <summary>EVP_CTRL_AEAD_GET_TAG from openssl/evp.h.</summary>
    internal const int EVP_CTRL_AEAD_GET_TAG = 0x10;

    /// <summary>EVP_CTRL_AEAD_SET_TAG from openssl/evp.h.</summary>
    internal const int EVP_CTRL_AEAD_SET_TAG = 0x11;
}
