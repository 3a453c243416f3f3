using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>EVP_CIPHER_CTX_ctrl(3): AEAD controls (nonce length, read or set the tag).</summary>
    [LibraryImport(Library)]
    [SuppressGCTransition]
    internal static unsafe partial int EVP_CIPHER_CTX_ctrl(IntPtr context, int type, int arg, byte* ptr);
}
