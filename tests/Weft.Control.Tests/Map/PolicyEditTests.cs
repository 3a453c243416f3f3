using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control.Tests.Map;

/// <summary>A policy edit recomputes who sees whom, each pair once, and sends each session just its differences.</summary>
public sealed class PolicyEditTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TailnetRecord Tailnet = new(1, "t", "t.weft.internal", 180, Start);
    private static readonly UserRecord Alice = new(1, 1, "alice@example.com", "Alice", "owner", Start);
    private static readonly UserRecord Bob = new(2, 1, "bob@example.com", "Bob", "member", Start);
    private static readonly UserRecord Carol = new(3, 1, "carol@example.com", "Carol", "member", Start);

    /// <summary>Bob reaches Alice; Carol reaches tagged servers; nobody else reaches anyone.</summary>
    private const string Partial = """
        {
          "tagOwners": { "tag:server": ["alice@example.com"] },
          "acls": [
            { "action": "accept", "src": ["bob@example.com"], "dst": ["alice@example.com:*"] },
            { "action": "accept", "src": ["carol@example.com"], "dst": ["tag:server:22"] },
          ],
        }
        """;

    private const string Nothing = """{ "acls": [] }""";

    private static NodeRecord Node(long id, UserRecord user, params string[] tags) => new()
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
        Tags = tags,
        Endpoints = [],
        Created = Start,
        LastSeen = Start,
        KeyExpiry = null,
        Ephemeral = false,
        Authorized = true,
    };

    private static Weft.Policy.Policy Parse(string text) => Weft.Policy.Policy.Parse(text).Policy ?? throw new InvalidOperationException("test policy does not parse");

    private static readonly NodeRecord[] Nodes =
    [
        Node(1, Alice), Node(2, Alice), Node(3, Bob), Node(4, Bob), Node(5, Carol), Node(6, Alice, "tag:server"), Node(7, Alice, "tag:server"),
    ];

    private static TailnetMap NewMap(Weft.Policy.Policy policy) =>
        new(Tailnet, policy, [Alice, Bob, Carol], Nodes, new FakeTimeProvider(Start), TimeSpan.FromMinutes(30), _ => { });

    private static HashSet<(long, long)> Pairs(TailnetMap map)
    {
        var pairs = new HashSet<(long, long)>();
        foreach (var n in Nodes)
        {
            foreach (var p in map.VisiblePeers(n.Id))
            {
                pairs.Add((n.Id, p));
            }
        }

        return pairs;
    }

    [Fact]
    public void SetPolicy_Partial_SeesExactlyThePairsThePolicyAllowsBothWays()
    {
        using var map = NewMap(Weft.Policy.Policy.Default);
        map.SetPolicy(Parse(Partial));

        HashSet<(long, long)> expected = [];
        foreach (var (a, b) in new (long, long)[] { (3, 1), (3, 2), (4, 1), (4, 2), (5, 6), (5, 7) })
        {
            expected.Add((a, b));
            expected.Add((b, a));
        }

        Assert.Equal(expected, Pairs(map));
    }

    [Fact]
    public void SetPolicy_SameAsAMapBuiltUnderIt_GivesTheSameVisibility()
    {
        using var edited = NewMap(Parse(Nothing));
        edited.SetPolicy(Parse(Partial));
        using var built = NewMap(Parse(Partial));

        Assert.Equal(Pairs(built), Pairs(edited));
    }

    [Fact]
    public void SetPolicy_RemovingEveryone_EachSessionGetsItsFormerPeersRemoved()
    {
        using var map = NewMap(Weft.Policy.Policy.Default);
        var sessions = Nodes.Select(n => new MapSession(n.Id)).ToArray();
        foreach (var s in sessions)
        {
            Assert.NotNull(map.Attach(s));
        }

        map.Publish();
        foreach (var s in sessions)
        {
            while (s.Outbox.TryRead(out _))
            {
            }
        }

        map.SetPolicy(Parse(Nothing));

        foreach (var s in sessions)
        {
            Assert.True(s.Outbox.TryRead(out var delta));
            Assert.Equal(Nodes.Select(n => n.Id).Where(id => id != s.NodeId).Order(), delta.PeersRemoved!.Order());
            Assert.Null(delta.PeersChanged);
            Assert.Empty(map.VisiblePeers(s.NodeId));
        }
    }
}
