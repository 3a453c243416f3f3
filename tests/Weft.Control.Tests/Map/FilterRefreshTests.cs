using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control.Tests.Map;

/// <summary>Packet filters are recompiled only when a change can alter them, and sent only when they differ.</summary>
public sealed class FilterRefreshTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TailnetRecord Tailnet = new(1, "t", "t.weft.internal", 180, Start);
    private static readonly UserRecord Alice = new(1, 1, "alice@example.com", "Alice", "owner", Start);
    private static readonly UserRecord Bob = new(2, 1, "bob@example.com", "Bob", "member", Start);
    private static readonly UserRecord Carol = new(3, 1, "carol@example.com", "Carol", "member", Start);

    private const string BobReachesAlice = """
        { "acls": [ { "action": "accept", "src": ["bob@example.com"], "dst": ["alice@example.com:*"] } ] }
        """;

    private readonly FakeTimeProvider _time = new(Start);

    private static NodeRecord Node(long id, UserRecord user) => new()
    {
        Id = id,
        TailnetId = 1,
        UserId = user.Id,
        MachineKey = $"mkey:{id:x64}",
        NodeKey = $"nodekey:{id:x64}",
        DiscoKey = "",
        Name = $"n{id}",
        HostInfo = "{}",
        IPv4 = IPAddress.Parse($"100.64.{id / 256}.{id % 256}"),
        IPv6 = IPAddress.Parse($"fd7a:115c:a1e0::{id:x}"),
        Tags = [],
        Endpoints = [],
        Created = Start,
        LastSeen = Start,
        KeyExpiry = null,
        Ephemeral = false,
        Authorized = true,
    };

    private TailnetMap NewMap(Weft.Policy.Policy policy, params NodeRecord[] nodes) =>
        new(Tailnet, policy, [Alice, Bob, Carol], nodes, _time, TimeSpan.FromMinutes(30), _ => { });

    private static Weft.Policy.Policy Parse(string text) => Weft.Policy.Policy.Parse(text).Policy ?? throw new InvalidOperationException("test policy does not parse");

    private static List<MapResponse> Drain(MapSession session)
    {
        var list = new List<MapResponse>();
        while (session.Outbox.TryRead(out var m))
        {
            list.Add(m);
        }

        return list;
    }

    [Fact]
    public void Join_DefaultPolicy_NoPeerFilterIsRecompiledOrSent()
    {
        using var map = NewMap(Weft.Policy.Policy.Default, Node(1, Alice), Node(2, Bob));
        var a = new MapSession(1);
        var b = new MapSession(2);
        Assert.NotNull(map.Attach(a));
        Assert.NotNull(map.Attach(b));
        map.Publish();
        Drain(a);
        Drain(b);
        var compiles = map.FullFilterCompiles;

        for (var id = 3; id < 53; id++)
        {
            map.Upsert(Node(id, Carol));
        }

        map.Publish();
        Assert.Equal(compiles, map.FullFilterCompiles);
        var deltas = Drain(a);
        Assert.Equal(50, Assert.Single(deltas).PeersChanged!.Count);
        Assert.Null(deltas[0].PacketFilter);
        Assert.Equal(52, map.VisiblePeers(1).Count + 1);
    }

    [Fact]
    public void Join_NodeNamedAsSource_DestinationGetsItsAddressesInOneFilter()
    {
        using var map = NewMap(Parse(BobReachesAlice), Node(1, Alice));
        var a = new MapSession(1);
        var full = map.Attach(a);
        Assert.NotNull(full);
        Assert.Empty(full.PacketFilter!);

        map.Upsert(Node(2, Bob));
        map.Upsert(Node(3, Bob));
        map.Publish();

        var filters = Drain(a).Where(m => m.PacketFilter is not null).ToList();
        var rule = Assert.Single(Assert.Single(filters).PacketFilter!);
        Assert.Contains("100.64.0.2/32", rule.Sources);
        Assert.Contains("100.64.0.3/32", rule.Sources);
    }

    [Fact]
    public void Join_NodeNotNamedByAnyRule_FilterIsNotSentAgain()
    {
        using var map = NewMap(Parse(BobReachesAlice), Node(1, Alice), Node(2, Bob));
        var a = new MapSession(1);
        Assert.NotNull(map.Attach(a));
        map.Publish();
        Drain(a);

        map.Upsert(Node(3, Carol));
        map.Publish();

        Assert.DoesNotContain(Drain(a), m => m.PacketFilter is not null);
    }

    [Fact]
    public void Remove_NodeNamedAsSource_DestinationLosesItsAddresses()
    {
        using var map = NewMap(Parse(BobReachesAlice), Node(1, Alice), Node(2, Bob));
        var a = new MapSession(1);
        var full = map.Attach(a);
        Assert.Contains("100.64.0.2/32", Assert.Single(full!.PacketFilter!).Sources);

        map.Remove(2);
        map.Publish();

        var last = Drain(a).Last(m => m.PacketFilter is not null);
        Assert.Empty(last.PacketFilter!);
    }

    [Fact]
    public async Task Upsert_WriterWaiting_IsWokenByThePublishWindowWithTheBurst()
    {
        using var map = NewMap(Weft.Policy.Policy.Default, Node(1, Alice));
        var a = new MapSession(1);
        Assert.NotNull(map.Attach(a));
        var seen = new HashSet<long>();
        var reading = Task.Run(async () =>
        {
            while (seen.Count < 5)
            {
                var m = await a.Outbox.ReadAsync(TestContext.Current.CancellationToken);
                foreach (var n in m.PeersChanged ?? [])
                {
                    seen.Add(n.Id);
                }
            }
        }, TestContext.Current.CancellationToken);

        for (var id = 2; id < 7; id++)
        {
            map.Upsert(Node(id, Bob));
        }

        // Nobody calls Publish here: the map's own window wakes the writer.
        await reading;
        Assert.Equal([2L, 3L, 4L, 5L, 6L], seen.Order());
    }

    [Fact]
    public void Attach_AfterJoinsWithoutSession_FilterIsCurrent()
    {
        using var map = NewMap(Parse(BobReachesAlice), Node(1, Alice));
        map.Upsert(Node(2, Bob));

        var full = map.Attach(new MapSession(1));

        Assert.Contains("100.64.0.2/32", Assert.Single(full!.PacketFilter!).Sources);
    }
}
