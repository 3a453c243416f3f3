using Weft.Core.Crypto;

namespace Weft.Core.Tests.Crypto;

public class Key32Tests
{
    [Fact]
    public void Hex_RoundTrips()
    {
        var key = Curve25519.GeneratePrivateKey();
        Assert.True(Key32.TryParseHex(key.ToHex(), out var parsed));
        Assert.Equal(key, parsed);
    }

    [Fact]
    public void Base64_RejectsWrongLength()
    {
        Assert.False(Key32.TryParseBase64(Convert.ToBase64String(new byte[31]), out _));
        Assert.True(Key32.TryParseBase64(Convert.ToBase64String(new byte[32]), out var zero));
        Assert.True(zero.IsZero);
    }
}
