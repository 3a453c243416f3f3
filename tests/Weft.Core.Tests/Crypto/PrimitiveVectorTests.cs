using Weft.Core.Crypto;

namespace Weft.Core.Tests.Crypto;

/// <summary>The primitives against published vectors (RFC 7748 and RFC 7693).</summary>
public class PrimitiveVectorTests
{
    [Fact]
    public void X25519_Rfc7748Section6_1_AgreesOnPublishedSecret()
    {
        var alicePrivate = Key32.From(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        var bobPublic = Key32.From(Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Curve25519.PublicKey(alicePrivate).ToHex());
        Assert.True(Curve25519.TryAgree(alicePrivate, bobPublic, out var shared));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", shared.ToHex());
    }

    [Fact]
    public void X25519_LowOrderPoint_IsRejected()
    {
        var priv = Curve25519.GeneratePrivateKey();
        Assert.False(Curve25519.TryAgree(priv, default, out _));
    }

    [Fact]
    public void Blake2s_Rfc7693AppendixB_HashesAbc()
    {
        Span<byte> output = stackalloc byte[32];
        Blake2s.Hash(output, "abc"u8);
        Assert.Equal("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", Convert.ToHexStringLower(output));
    }
}
