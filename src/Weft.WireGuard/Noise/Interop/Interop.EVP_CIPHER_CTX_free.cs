using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>EVP_CIPHER_CTX_free(3): cleanses the key schedule and frees the context.</summary>
    [LibraryImport(Library)]
    internal static partial void EVP_CIPHER_CTX_free(IntPtr context);
}
