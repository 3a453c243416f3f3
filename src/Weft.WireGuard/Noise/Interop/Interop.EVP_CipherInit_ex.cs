using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>
    /// EVP_CipherInit_ex(3): sets the cipher, key and/or nonce; null arguments keep what the context
    /// holds, so a keyed context takes a new nonce without re-keying. enc is 1 to encrypt, 0 to decrypt.
    /// </summary>
    [LibraryImport(Library)]
    [SuppressGCTransition]
    internal static unsafe partial int EVP_CipherInit_ex(IntPtr context, IntPtr cipher, IntPtr engine, byte* key, byte* iv, int enc);
}
