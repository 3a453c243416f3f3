using Weft.Core.Keys;
using Weft.Relay.Client;

namespace Weft.Relay.Tests.Server;

/// <summary>What a client does with packets while its connection to the relay is still being made.</summary>
public sealed class ConnectingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PacketsSentWhileConnecting_AreHeld_AndDeliveredOnceConnected()
    {
        await using var relay = new InMemoryRelay();
        await using var b = relay.Connect(out _);
        await b.Client.WaitConnectedAsync(Ct);
        var dial = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = relay.Connect(out _, dial.Task);

        // A node's first WireGuard handshake goes out the moment it comes up, before the relay is dialled.
        Assert.False(a.Client.IsConnected);
        Assert.True(a.Client.TrySend(b.Key, [1, 2, 3]));
        Assert.True(a.Client.TrySend(b.Key, [4, 5]));
        dial.SetResult();

        var first = await b.NextAsync();
        var second = await b.NextAsync();
        Assert.Equal(a.Key, first.Source);
        Assert.Equal(new byte[] { 1, 2, 3 }, first.Packet);
        Assert.Equal(new byte[] { 4, 5 }, second.Packet);
        Assert.Equal(0, a.Client.Dropped);
    }

    [Fact]
    public async Task WhileConnecting_OnlyABoundedNumberIsHeld_TheRestDroppedAndCounted()
    {
        await using var relay = new InMemoryRelay();
        await using var b = relay.Connect(out _);
        await b.Client.WaitConnectedAsync(Ct);
        var dial = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = relay.Connect(out _, dial.Task);

        var accepted = Enumerable.Range(0, 100).Count(i => a.Client.TrySend(b.Key, [(byte)i]));
        dial.SetResult();

        Assert.Equal(64, accepted);
        Assert.Equal(36, a.Client.Dropped);
        for (var i = 0; i < 64; i++)
        {
            Assert.Equal(new byte[] { (byte)i }, (await b.NextAsync()).Packet);
        }
    }

    [Fact]
    public async Task FirstRelayOfTheRegionDown_TheClientMovesToTheNext_AndPacketsFlow()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var b = relay.Connect();
        await b.Client.WaitConnectedAsync(Ct);
        // Nothing listens on the first address: connecting there fails at once, so the client tries the alternate.
        var down = new Uri("http://127.0.0.1:1/");
        await using var a = TestNode.Start(new RelayClientOptions
        {
            Url = down,
            Alternates = [new RelayAddress(relay.Url, relay.Server.PublicKey)],
            FirstBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
        }, PrivateKey.Generate());

        await a.Client.WaitConnectedAsync(Ct);
        Assert.Equal(relay.Url, a.Client.CurrentUrl);
        Assert.True(a.Client.TrySend(b.Key, [9, 9]));
        var (source, packet) = await b.NextAsync();
        Assert.Equal(a.Key, source);
        Assert.Equal(new byte[] { 9, 9 }, packet);
    }
}
