namespace Weft.Node.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void MagicDnsAddress_IsTheWellKnownOne() =>
        Assert.Equal("100.100.100.100", NodeConstants.MagicDnsIPv4);
}
