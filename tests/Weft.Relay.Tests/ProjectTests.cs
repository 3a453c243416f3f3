namespace Weft.Relay.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void StunPort_IsTheRfc8489Default() => Assert.Equal(3478, Weft.Relay.RelayConstants.StunPort);
}
