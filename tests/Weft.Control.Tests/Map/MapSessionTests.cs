using Weft.Control.Map;
using Weft.Core.Control;

namespace Weft.Control.Tests.Map;

/// <summary>Merging of queued deltas in a session's outbox: one response per read, bounded by the peers it names.</summary>
public sealed class MapSessionTests
{
    private static Node Peer(long id, string name) => new()
    {
        Id = id,
        Name = name,
        Fqdn = $"{name}.t.weft.internal",
        UserId = 1,
        NodeKey = "nodekey:00",
        MachineKey = "mkey:00",
        DiscoKey = "",
        Addresses = [],
        AllowedIPs = [],
        Endpoints = [],
        Tags = [],
        HostInfo = new HostInfo(),
        KeyExpiry = null,
        Online = false,
    };

    [Fact]
    public void Enqueue_SeveralDeltasBeforeARead_AreOneResponse()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersChanged = [Peer(2, "b")] });
        session.Enqueue(new MapResponse { PeersChanged = [Peer(3, "c")] });
        session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 2, Online = true }] });

        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.Equal([2L, 3L], [.. merged.PeersChanged!.Select(n => n.Id)]);
        Assert.Equal(2, Assert.Single(merged.PeersPatched!).Id);
        Assert.False(session.Outbox.TryRead(out _));
    }

    [Fact]
    public void Enqueue_PatchesOfOnePeer_KeepEveryLatestField()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 2, Online = true, Endpoints = ["192.0.2.1:1"] }] });
        session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 2, Endpoints = ["192.0.2.2:2"], DiscoKey = "discokey:01" }] });

        Assert.True(session.Outbox.TryRead(out var merged));
        var patch = Assert.Single(merged.PeersPatched!);
        Assert.Equal(["192.0.2.2:2"], patch.Endpoints);
        Assert.Equal("discokey:01", patch.DiscoKey);
        Assert.True(patch.Online);
    }

    [Fact]
    public void Enqueue_RemovalAfterChangeAndPatch_LeavesOnlyTheRemoval()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersChanged = [Peer(2, "b")] });
        session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 2, Online = true }] });
        session.Enqueue(new MapResponse { PeersRemoved = [2] });

        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.Equal([2L], merged.PeersRemoved!);
        Assert.Null(merged.PeersChanged);
        Assert.Null(merged.PeersPatched);
    }

    [Fact]
    public void Enqueue_ChangeAfterRemovalAndPatch_LeavesTheNewDescriptionOnly()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersRemoved = [2] });
        session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 2, Online = false }] });
        session.Enqueue(new MapResponse { PeersChanged = [Peer(2, "b2")] });

        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.Null(merged.PeersRemoved);
        Assert.Null(merged.PeersPatched);
        Assert.Equal("b2", Assert.Single(merged.PeersChanged!).Name);
    }

    [Fact]
    public void Enqueue_KeepAliveWithContent_IsNotMarkedKeepAlive()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { KeepAlive = true });
        session.Enqueue(new MapResponse { PeersRemoved = [5] });

        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.False(merged.KeepAlive);

        session.Enqueue(new MapResponse { KeepAlive = true });
        Assert.True(session.Outbox.TryRead(out var alone));
        Assert.True(alone.KeepAlive);
    }

    [Fact]
    public void Enqueue_ManyChangesOfFewPeersUnread_PendingStaysBoundedByPeers()
    {
        var session = new MapSession(1);
        for (var i = 0; i < 10_000; i++)
        {
            session.Enqueue(new MapResponse { PeersChanged = [Peer(2 + (i % 3), "p")] });
            session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 10 + (i % 4), Endpoints = [$"192.0.2.1:{i}"] }] });
        }

        Assert.Equal(7, session.PendingPeerEntries);
        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.Equal(3, merged.PeersChanged!.Count);
        Assert.Equal(4, merged.PeersPatched!.Count);
        Assert.Equal(0, session.PendingPeerEntries);
    }

    [Fact]
    public void Take_AfterALargeBurst_ANewDeltaStartsEmpty()
    {
        var session = new MapSession(1);
        for (var i = 0; i < 5_000; i++)
        {
            session.Enqueue(new MapResponse { PeersChanged = [Peer(i, "p")], PeersPatched = [new PeerPatch { Id = 10_000 + i, Online = true }] });
        }

        Assert.True(session.Outbox.TryRead(out var burst));
        Assert.Equal(5_000, burst.PeersChanged!.Count);

        session.Enqueue(new MapResponse { PeersChanged = [Peer(7, "again")] });
        Assert.True(session.Outbox.TryRead(out var next));
        Assert.Equal("again", Assert.Single(next.PeersChanged!).Name);
        Assert.Null(next.PeersPatched);
    }

    [Fact]
    public async Task Close_WithPendingDelta_DeliversItThenCompletes()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersRemoved = [2] });
        session.Close();
        session.Enqueue(new MapResponse { PeersRemoved = [3] });

        var read = new List<MapResponse>();
        await foreach (var m in session.Outbox.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            read.Add(m);
        }

        Assert.Equal([2L], Assert.Single(read).PeersRemoved!);
        Assert.True(session.Outbox.Completion.IsCompleted);
    }

    [Fact]
    public async Task WaitToRead_EnqueueAfterTheReaderWaits_WakesIt()
    {
        var session = new MapSession(1);
        var waiting = session.Outbox.ReadAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);

        session.Enqueue(new MapResponse { PeersRemoved = [4] });
        Assert.Equal([4L], (await waiting).PeersRemoved!);
    }

    [Fact]
    public void Enqueue_LongRemovalAlone_IsTakenWhole()
    {
        var session = new MapSession(1);
        var ids = Enumerable.Range(2, 100).Select(i => (long)i).ToList();
        session.Enqueue(new MapResponse { PeersRemoved = ids });

        Assert.Equal(100, session.PendingPeerEntries);
        Assert.True(session.Outbox.TryRead(out var taken));
        Assert.Equal(ids, taken.PeersRemoved);
    }

    [Fact]
    public void Enqueue_ChangeAfterALongRemoval_TakesThatPeerOutOfTheRemoval()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersRemoved = [.. Enumerable.Range(2, 100).Select(i => (long)i)] });
        session.Enqueue(new MapResponse { PeersChanged = [Peer(50, "back")] });
        session.Enqueue(new MapResponse { PeersRemoved = [200] });

        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.Equal(50, Assert.Single(merged.PeersChanged!).Id);
        Assert.Equal(100, merged.PeersRemoved!.Count);
        Assert.DoesNotContain(50L, merged.PeersRemoved);
        Assert.Contains(200L, merged.PeersRemoved);
    }

    [Fact]
    public void Enqueue_LongRemovalAfterAPatch_SupersedesThePatch()
    {
        var session = new MapSession(1);
        session.Enqueue(new MapResponse { PeersPatched = [new PeerPatch { Id = 5, Online = true }] });
        session.Enqueue(new MapResponse { PeersRemoved = [.. Enumerable.Range(2, 100).Select(i => (long)i)] });

        Assert.True(session.Outbox.TryRead(out var merged));
        Assert.Null(merged.PeersPatched);
        Assert.Equal(100, merged.PeersRemoved!.Count);
    }
}
