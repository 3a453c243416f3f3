using Weft.Control.Storage;

namespace Weft.Control.Tests.Storage;

/// <summary>The contract for pending interactive registrations (schema version 3).</summary>
public abstract partial class ControlStoreContractTests
{
    private static PendingRecord Pending(string id, DateTimeOffset created, TimeSpan? lifetime = null) =>
        new(id, "mkey:" + id, "nodekey:" + id, "laptop", "{\"OS\":\"linux\"}", Ephemeral: true, created, created + (lifetime ?? TimeSpan.FromHours(1)), NodeId: null);

    [Fact]
    public async Task Pending_IsFoundAfterReopen_AsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        var written = Pending("p1", Now);
        await Store.CreatePendingAsync(written, ct);
        var reopened = await OpenStoreAsync(ct);
        Assert.Equal(written, await reopened.GetPendingAsync("p1", ct));
        Assert.Null(await reopened.GetPendingAsync("p2", ct));
    }

    [Fact]
    public async Task CompletePending_RecordsTheNodeOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreatePendingAsync(Pending("p1", Now), ct);
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var b = await Store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        Assert.True(await Store.CompletePendingAsync("p1", a.Id, ct));
        Assert.False(await Store.CompletePendingAsync("p1", b.Id, ct));
        Assert.False(await Store.CompletePendingAsync("missing", a.Id, ct));
        Assert.Equal(a.Id, (await Store.GetPendingAsync("p1", ct))!.NodeId);
    }

    [Fact]
    public async Task CompletePending_RacedOnSeveralReplicas_OneWins()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreatePendingAsync(Pending("p1", Now), ct);
        var stores = new[] { Store, await OpenStoreAsync(ct), await OpenStoreAsync(ct) };
        var nodes = new List<NodeRecord>();
        for (var i = 0; i < 6; i++)
        {
            nodes.Add(await Store.CreateNodeAsync(Node("n", "k" + i), Now, ct));
        }

        var results = await Task.WhenAll(nodes.Select((n, i) => stores[i % stores.Length].CompletePendingAsync("p1", n.Id, ct)));
        Assert.Single(results, r => r);
        var winner = nodes[Array.IndexOf(results, true)];
        Assert.Equal(winner.Id, (await Store.GetPendingAsync("p1", ct))!.NodeId);
    }

    [Fact]
    public async Task DeleteNode_DropsItsPendingRegistration()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreatePendingAsync(Pending("p1", Now), ct);
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        Assert.True(await Store.CompletePendingAsync("p1", a.Id, ct));
        Assert.True(await Store.DeleteNodeAsync(a.Id, ct));
        Assert.Null(await Store.GetPendingAsync("p1", ct));
    }

    [Fact]
    public async Task CreatePending_SweepsExpiredUnapprovedOnes_KeepsApprovedAndLive()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreatePendingAsync(Pending("old", Now, TimeSpan.FromMinutes(5)), ct);
        await Store.CreatePendingAsync(Pending("done", Now, TimeSpan.FromMinutes(5)), ct);
        await Store.CreatePendingAsync(Pending("live", Now, TimeSpan.FromHours(2)), ct);
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        Assert.True(await Store.CompletePendingAsync("done", a.Id, ct));

        await Store.CreatePendingAsync(Pending("new", Now.AddHours(1)), ct);

        Assert.Null(await Store.GetPendingAsync("old", ct));
        Assert.NotNull(await Store.GetPendingAsync("done", ct));
        Assert.NotNull(await Store.GetPendingAsync("live", ct));
        Assert.NotNull(await Store.GetPendingAsync("new", ct));
    }

    [Fact]
    public async Task CreatePending_DuplicateId_IsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreatePendingAsync(Pending("p1", Now), ct);
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => Store.CreatePendingAsync(Pending("p1", Now), ct));
    }
}
