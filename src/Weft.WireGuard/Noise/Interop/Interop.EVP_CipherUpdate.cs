using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

internal static partial class LibCrypto
{
    /// <summary>EVP_CipherUpdate(3): en/decrypts <paramref name="inputLength"/> bytes; output may equal input (in place).</summary>
    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CipherUpdate(IntPtr context, byte* output, int* outputLength, byte* input, int inputLength);
}
