using Microsoft.Extensions.Time.Testing;
using Weft.Console.Tests.Fixtures;
using Weft.Control.Console;
using Weft.Control.Storage;

namespace Weft.Console.Tests.Console;

/// <summary>
/// Live updates without polling: the service says when a tailnet changed (commits, map streams opening and
/// closing), and a page's watch turns a burst of such changes into one re-read, for its own tailnet only.
/// </summary>
public sealed class TailnetWatchTests
{
    private static Task<NodeRecord> NodeAsync(ConsoleHost host, UserRecord user, string name, CancellationToken ct) =>
        host.Server.Service.CreateNodeAsync(new NewNode(user.TailnetId, user.Id, "mkey:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            "nodekey:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), "", name, "{}", [], null, false, true), ct);

    [Fact]
    public async Task Burst_OfChanges_CallsBackOnce_AfterTheWindow()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var admin = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var clock = new FakeTimeProvider();
        var calls = 0;
        using var watch = new TailnetWatch(host.Server.Service, admin.TailnetId, () => { calls++; return Task.CompletedTask; }, clock);

        var node = await NodeAsync(host, admin, "one", ct);
        await host.Server.Service.UpdateNodeAsync(node with { Name = "two" }, ct);
        await host.Server.Service.UpdateNodeAsync(node with { Name = "three" }, ct);
        Assert.Equal(0, calls);

        clock.Advance(TailnetWatch.Window - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, calls);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, calls);

        // Quiet since: no further callback however long the page stays open.
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, calls);

        // The next change opens a new window.
        await host.Server.Service.UpdateNodeAsync(node with { Name = "four" }, ct);
        clock.Advance(TailnetWatch.Window);
        Assert.Equal(2, calls);
        Assert.Equal(2, watch.Callbacks);
    }

    [Fact]
    public async Task OtherTailnet_OrDisposedWatch_IsNotCalled()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var admin = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var (other, _) = await host.Server.Service.EnsureTailnetAsync("other.test", ct);
        var stranger = (await host.Server.Service.CreateUserAsync(other.Id, "eve@other.test", "Eve", "owner", ct))!;
        var clock = new FakeTimeProvider();
        var calls = 0;
        var watch = new TailnetWatch(host.Server.Service, admin.TailnetId, () => { calls++; return Task.CompletedTask; }, clock);

        await NodeAsync(host, stranger, "elsewhere", ct);
        clock.Advance(TailnetWatch.Window);
        Assert.Equal(0, calls);

        // Disposed with a window armed: the window ends without a callback.
        await NodeAsync(host, admin, "mine", ct);
        watch.Dispose();
        clock.Advance(TailnetWatch.Window);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task MapStream_OpeningAndClosing_RaisesTailnetChanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var admin = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var service = host.Server.Service;
        var map = await service.MapAsync(admin.TailnetId, ct);
        var key = (await host.Store.CreateAuthKeyAsync(admin.TailnetId, admin.Id, new AuthKeyOptions(false, false, true, [], TimeSpan.FromHours(1)), DateTimeOffset.UtcNow, ct)).Secret;

        // Each raise records how many streams were open then: the raises of a connect must end seeing it open, of a disconnect closed.
        var seen = new List<int>();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(long tailnet)
        {
            if (tailnet == admin.TailnetId)
            {
                var sessions = map.SessionCount;
                lock (seen)
                {
                    seen.Add(sessions);
                    if (seen.Contains(1) && sessions == 0)
                    {
                        closed.TrySetResult();
                    }
                }
            }
        }

        service.TailnetChanged += OnChanged;
        try
        {
            // The raise after the stream opened comes before the full map is sent, so before JoinAsync returns.
            var device = await TestDevice.JoinAsync(host.Address, key, "streamer", ct);
            lock (seen)
            {
                Assert.Equal(1, seen[^1]);
            }

            await device.DisposeAsync();
            await closed.Task.WaitAsync(ct);
        }
        finally
        {
            service.TailnetChanged -= OnChanged;
        }
    }
}
