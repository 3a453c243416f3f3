using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>ERR_clear_error(3): empties this thread's OpenSSL error queue after a failed tag check.</summary>
    [LibraryImport(Library)]
    internal static partial void ERR_clear_error();
}
