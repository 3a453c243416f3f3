using System.Runtime.InteropServices;

namespace Weft.WireGuard.Noise.Interop;

/// <summary>Owns one EVP_CIPHER_CTX; freeing it also cleanses the key schedule inside.</summary>
internal sealed class SafeEvpCipherContextHandle : SafeHandle
{
    public SafeEvpCipherContextHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_CIPHER_CTX_free(handle);
        return true;
    }
}
