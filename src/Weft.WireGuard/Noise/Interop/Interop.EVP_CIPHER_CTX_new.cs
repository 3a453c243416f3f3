using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>EVP_CIPHER_CTX_new(3): a fresh, unkeyed cipher context (invalid handle when out of memory).</summary>
    [LibraryImport(Library)]
    internal static partial SafeEvpCipherContextHandle EVP_CIPHER_CTX_new();
}
