using System.Globalization;
using Weft.Control.Auth;

namespace Weft.Console.Tests.Auth;

/// <summary>Local account passwords: PBKDF2-SHA256, 600k iterations, random salt, constant-time check.</summary>
public sealed class PasswordHashTests
{
    [Fact]
    public void Verify_RightPassword_IsTrue_WrongIsFalse()
    {
        var stored = PasswordHash.Create("correct horse battery");
        Assert.True(PasswordHash.Verify("correct horse battery", stored));
        Assert.False(PasswordHash.Verify("correct horse batterY", stored));
        Assert.False(PasswordHash.Verify("", stored));
    }

    [Fact]
    public void Create_SaltsEachHash_AndRecordsAtLeast600kIterations()
    {
        var a = PasswordHash.Create("same password here");
        var b = PasswordHash.Create("same password here");
        Assert.NotEqual(a, b);
        var parts = a.Split('$');
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.True(int.Parse(parts[1], CultureInfo.InvariantCulture) >= 600_000);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.DoesNotContain("same password", a, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("md5$1$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$!!notbase64$AAAA")]
    public void Verify_MalformedStoredValue_IsFalse(string stored) => Assert.False(PasswordHash.Verify("anything at all", stored));
}
