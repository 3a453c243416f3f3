using Weft.Node.LocalApi;

namespace Weft.Node.Tests.LocalApi;

/// <summary>The client's errors when no daemon answers: they must tell the user to start one.</summary>
public sealed class ClientUnreachableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("weft-lapi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task NoSocketFile_SaysStartTheDaemon()
    {
        using var client = new LocalApiClient(Path.Combine(_dir, "missing.sock"));

        var ex = await Assert.ThrowsAsync<LocalApiException>(() => client.GetStatusAsync(TestContext.Current.CancellationToken));

        Assert.True(ex.DaemonUnreachable);
        Assert.Contains("weft daemon is not running", ex.Message, StringComparison.Ordinal);
        Assert.Contains("start it with `weft daemon`", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleSocketFile_SaysStartTheDaemon()
    {
        using var client = new LocalApiClient(StaleSocket.Create(_dir));

        var ex = await Assert.ThrowsAsync<LocalApiException>(() => client.DownAsync(TestContext.Current.CancellationToken));

        Assert.True(ex.DaemonUnreachable);
        Assert.Contains("weft daemon is not running", ex.Message, StringComparison.Ordinal);
    }
}
