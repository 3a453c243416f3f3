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
}
