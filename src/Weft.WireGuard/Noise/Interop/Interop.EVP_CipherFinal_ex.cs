using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>EVP_CipherFinal_ex(3): finishes; when decrypting an AEAD, returns 0 if the tag does not verify.</summary>
    [LibraryImport(Library)]
    [SuppressGCTransition]
    internal static unsafe partial int EVP_CipherFinal_ex(IntPtr context, byte* output, int* outputLength);
}
