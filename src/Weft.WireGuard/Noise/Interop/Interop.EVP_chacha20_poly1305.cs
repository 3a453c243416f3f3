using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>EVP_chacha20_poly1305(3): the static RFC 8439 AEAD cipher description (never freed).</summary>
    [LibraryImport(Library)]
    internal static partial IntPtr EVP_chacha20_poly1305();
}
