using Microsoft.Extensions.Time.Testing;
using Weft.Control.Map;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Map;

/// <summary>Key expiry and ephemeral-node cleanup on timers, driven by a fake clock against a real SQLite store.</summary>
public sealed class ExpiryTests : IAsyncLifetime
{
    private static readonly TimeSpan EphemeralTimeout = TimeSpan.FromMinutes(30);
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private SqliteControlStore _store = null!;
    private ControlService _service = null!;
    private TailnetRecord _tailnet = null!;
    private UserRecord _user = null!;
    private int _nodes;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _store = await SqliteControlStore.OpenAsync(_dir.File("control.db"), ct);
        _service = new ControlService(_store, _time, EphemeralTimeout);
        _tailnet = await _store.CreateTailnetAsync("t", "t.weft.internal", _time.GetUtcNow(), ct);
        _user = await _store.CreateUserAsync(_tailnet.Id, "alice", "Alice", "owner", _time.GetUtcNow(), ct);
    }

    public async ValueTask DisposeAsync()
    {
        _service.Dispose();
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private Task<NodeRecord> NodeAsync(string name, DateTimeOffset? expiry, bool ephemeral = false)
    {
        var n = ++_nodes;
        return _service.CreateNodeAsync(new NewNode(_tailnet.Id, _user.Id, $"mkey:{n:x64}", $"nodekey:{n:x64}", "", name, "{}", [], expiry, ephemeral, Authorized: true),
            TestContext.Current.CancellationToken);
    }

    private async Task<(TailnetMap Map, MapSession Session)> AttachAsync(NodeRecord node)
    {
        var map = await _service.MapAsync(node.TailnetId, TestContext.Current.CancellationToken);
        var session = new MapSession(node.Id);
        Assert.NotNull(map.Attach(session));
        return (map, session);
    }

    private static void Drain(MapSession session)
    {
        while (session.Outbox.TryRead(out _))
        {
        }
    }

    /// <summary>Awaits (no polling) the next removal delivered to <paramref name="session"/>.</summary>
    private static async Task<IReadOnlyList<long>> NextRemovalAsync(MapSession session)
    {
        while (true)
        {
            var m = await session.Outbox.ReadAsync(TestContext.Current.CancellationToken);
            if (m.PeersRemoved is { } removed)
            {
                return removed;
            }
        }
    }

    [Fact]
    public async Task KeyExpiry_Reached_PeersLoseTheNodeWithoutAnyOtherChange()
    {
        var a = await NodeAsync("alpha", _time.GetUtcNow().AddHours(1));
        var b = await NodeAsync("beta", null);
        var (map, sa) = await AttachAsync(a);
        var (_, sb) = await AttachAsync(b);
        Drain(sb);

        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.False(sb.Outbox.TryRead(out _));
        Assert.Contains(a.Id, map.VisiblePeers(b.Id));

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(sb.Outbox.TryRead(out var removed));
        Assert.Equal([a.Id], removed.PeersRemoved!);
        Assert.Empty(map.VisiblePeers(b.Id));
        // The expired node's own stream ends: it must re-authenticate.
        Drain(sa);
        Assert.True(sa.Outbox.Completion.IsCompleted);
    }

    [Fact]
    public async Task KeyExpiry_Disabled_NodeNeverExpires()
    {
        var a = await NodeAsync("alpha", null);
        var b = await NodeAsync("beta", null);
        var (map, _) = await AttachAsync(a);
        var (_, sb) = await AttachAsync(b);
        Drain(sb);

        _time.Advance(TimeSpan.FromDays(10_000));
        Assert.Contains(a.Id, map.VisiblePeers(b.Id));
        while (sb.Outbox.TryRead(out var m))
        {
            Assert.Null(m.PeersRemoved);
        }
    }

    [Fact]
    public async Task KeyExpiry_ExtendedBeforeItIsReached_OldDeadlineIsIgnored()
    {
        var a = await NodeAsync("alpha", _time.GetUtcNow().AddHours(1));
        var b = await NodeAsync("beta", null);
        var (map, _) = await AttachAsync(b);
        await _service.UpdateNodeAsync(a with { KeyExpiry = _time.GetUtcNow().AddHours(3) }, TestContext.Current.CancellationToken);

        _time.Advance(TimeSpan.FromHours(2));
        Assert.Contains(a.Id, map.VisiblePeers(b.Id));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.DoesNotContain(a.Id, map.VisiblePeers(b.Id));
    }

    [Fact]
    public async Task KeyExpiry_DisabledLater_OldDeadlineIsIgnored()
    {
        var a = await NodeAsync("alpha", _time.GetUtcNow().AddHours(1));
        var b = await NodeAsync("beta", null);
        var (map, _) = await AttachAsync(b);
        await _service.UpdateNodeAsync(a with { KeyExpiry = null }, TestContext.Current.CancellationToken);

        _time.Advance(TimeSpan.FromDays(400));
        Assert.Contains(a.Id, map.VisiblePeers(b.Id));
    }

    [Fact]
    public async Task Ephemeral_OfflineForTheTimeout_IsDeletedAndPeersDropIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var e = await NodeAsync("runner", null, ephemeral: true);
        var b = await NodeAsync("beta", null);
        var (map, se) = await AttachAsync(e);
        var (_, sb) = await AttachAsync(b);
        map.Detach(se);
        Drain(sb);

        _time.Advance(EphemeralTimeout - TimeSpan.FromSeconds(1));
        Assert.NotNull(await _store.GetNodeAsync(e.Id, ct));
        Assert.False(sb.Outbox.TryRead(out _));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([e.Id], await NextRemovalAsync(sb));
        Assert.Null(await _store.GetNodeAsync(e.Id, ct));
        Assert.NotNull(await _store.GetNodeAsync(b.Id, ct));
    }

    [Fact]
    public async Task Ephemeral_BackOnlineBeforeTheTimeout_IsKept()
    {
        var ct = TestContext.Current.CancellationToken;
        var e = await NodeAsync("runner", null, ephemeral: true);
        var (map, se) = await AttachAsync(e);
        map.Detach(se);
        _time.Advance(EphemeralTimeout / 2);
        await AttachAsync(e);

        _time.Advance(EphemeralTimeout * 4);
        Assert.NotNull(await _store.GetNodeAsync(e.Id, ct));
    }

    [Fact]
    public async Task Ephemeral_RegisteredButNeverConnected_IsDeletedAfterTheTimeout()
    {
        var e = await NodeAsync("runner", null, ephemeral: true);
        var b = await NodeAsync("beta", null);
        var (_, sb) = await AttachAsync(b);
        Drain(sb);

        _time.Advance(EphemeralTimeout);
        Assert.Equal([e.Id], await NextRemovalAsync(sb));
    }

    [Fact]
    public async Task Dispose_StopsTheTimers_NothingIsDeletedOrExpiredAfterwards()
    {
        var ct = TestContext.Current.CancellationToken;
        var e = await NodeAsync("runner", null, ephemeral: true);
        var a = await NodeAsync("alpha", _time.GetUtcNow().AddMinutes(1));
        var (map, sa) = await AttachAsync(a);

        _service.Dispose();
        _time.Advance(EphemeralTimeout * 2);
        Assert.NotNull(await _store.GetNodeAsync(e.Id, ct));
        Assert.True(map.Contains(a.Id));
        Assert.False(sa.Outbox.Completion.IsCompleted);
    }

    [Fact]
    public async Task NonEphemeral_OfflineForAYear_IsKept()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await NodeAsync("alpha", null);
        var (map, sa) = await AttachAsync(a);
        map.Detach(sa);

        _time.Advance(TimeSpan.FromDays(365));
        Assert.NotNull(await _store.GetNodeAsync(a.Id, ct));
    }
}
