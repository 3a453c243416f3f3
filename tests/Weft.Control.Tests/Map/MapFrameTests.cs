using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Core.Wire;

namespace Weft.Control.Tests.Map;

/// <summary>Map frames written from shared per-node JSON are byte for byte what serialising the whole message gives.</summary>
public sealed class MapFrameTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TailnetRecord Tailnet = new(1, "t", "t.weft.internal", 180, Start);
    private static readonly UserRecord Alice = new(1, 1, "alice@example.com", "Alice \"A\" <é>", "owner", Start);
    private static readonly UserRecord Bob = new(2, 1, "bob@example.com", "Bob", "member", Start);

    private static NodeRecord Record(long id, UserRecord user) => new()
    {
        Id = id,
        TailnetId = 1,
        UserId = user.Id,
        MachineKey = $"mkey:{id:x64}",
        NodeKey = $"nodekey:{id:x64}",
        DiscoKey = $"discokey:{id:x64}",
        Name = $"n{id}",
        HostInfo = """{"hostname":"host <\u00e9>","os":"linux"}""",
        IPv4 = IPAddress.Parse($"100.64.{id / 256}.{id % 256}"),
        IPv6 = IPAddress.Parse($"fd7a:115c:a1e0::{id:x}"),
        Tags = id % 3 == 0 ? ["tag:server"] : [],
        Endpoints = [$"192.0.2.{id % 250}:41641", "[2001:db8::1]:41641"],
        Created = Start,
        LastSeen = Start,
        KeyExpiry = id % 2 == 0 ? Start.AddDays(180) : null,
        Ephemeral = false,
        Authorized = true,
    };

    private static byte[] Expected(MapResponse r) => JsonSerializer.SerializeToUtf8Bytes(new ServerMessage { Map = r }, ControlJsonContext.Default.ServerMessage);

    private static byte[] Written(MapResponse r, int sizeHint = 16)
    {
        using var buffer = new FrameBuffer(sizeHint);
        MapFrame.Write(buffer, r);
        return buffer.WrittenMemory.ToArray();
    }

    [Fact]
    public void Write_FullMapOfALiveTailnet_EqualsTheSerialisedMessage()
    {
        var nodes = Enumerable.Range(1, 40).Select(i => Record(i, i % 2 == 0 ? Alice : Bob)).ToArray();
        using var map = new TailnetMap(Tailnet, Weft.Policy.Policy.Default, [Alice, Bob], nodes, new FakeTimeProvider(Start), TimeSpan.FromMinutes(30), _ => { });
        var first = map.Attach(new MapSession(1))!;
        var second = map.Attach(new MapSession(2))!;

        Assert.Equal(39, first.Peers!.Count);
        Assert.NotEmpty(first.PacketFilter!);
        Assert.Equal(Expected(first), Written(first));
        Assert.Equal(Expected(second), Written(second, MapFrame.EstimateSize(second)));
    }

    [Fact]
    public void Write_EveryDeltaField_EqualsTheSerialisedMessage()
    {
        var peer = NetmapBuilder.ToWire(Record(7, Alice), Tailnet.Domain, online: true, [IPNetwork.Parse("10.1.0.0/16")]);
        var delta = new MapResponse
        {
            Self = NetmapBuilder.ToWire(Record(1, Bob), Tailnet.Domain, online: true),
            PeersChanged = [peer],
            PeersRemoved = [3, 4, long.MaxValue],
            PeersPatched = [new PeerPatch { Id = 7, Endpoints = ["198.51.100.1:1"], Online = false, KeyExpiry = Start }, new PeerPatch { Id = 8, DiscoKey = "discokey:00" }],
            PacketFilter = [new FilterRule { Sources = ["100.64.0.0/10", "*"], Destinations = [new FilterDestination("100.64.0.1/32", new PortRange(22, 22))], Protocols = [6, 17] }],
            Dns = new DnsConfig { MagicDns = true, Domain = Tailnet.Domain, Nameservers = ["192.0.2.53"], SplitDns = new Dictionary<string, IReadOnlyList<string>> { ["corp.example"] = ["10.0.0.53"] } },
            UserProfiles = [new UserProfile(Alice.Id, Alice.Login, Alice.DisplayName)],
        };

        Assert.Equal(Expected(delta), Written(delta));
    }

    [Fact]
    public void Write_KeepAliveAndEmpty_EqualTheSerialisedMessage()
    {
        Assert.Equal(Expected(new MapResponse { KeepAlive = true }), Written(new MapResponse { KeepAlive = true }));
        Assert.Equal(Expected(new MapResponse { PeersRemoved = [] }), Written(new MapResponse { PeersRemoved = [] }));
    }

    [Fact]
    public void NodeJson_SameNodeObject_IsSerialisedOnce()
    {
        var node = NetmapBuilder.ToWire(Record(5, Alice), Tailnet.Domain, online: false);

        Assert.Same(MapFrame.NodeJson(node), MapFrame.NodeJson(node));
        Assert.NotSame(MapFrame.NodeJson(node), MapFrame.NodeJson(node with { Online = true }));
    }

    [Fact]
    public void FrameBuffer_GrowingPastThePooledLimit_KeepsWhatWasWritten()
    {
        using var buffer = new FrameBuffer(16);
        var chunk = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var rounds = (FrameBuffer.PooledLimit / chunk.Length) + 10;
        for (var i = 0; i < rounds; i++)
        {
            chunk.CopyTo(buffer.GetSpan(chunk.Length));
            buffer.Advance(chunk.Length);
        }

        Assert.Equal(rounds * chunk.Length, buffer.WrittenMemory.Length);
        Assert.True(buffer.WrittenMemory.Span.Slice((rounds - 1) * chunk.Length).SequenceEqual(chunk));
        Assert.True(buffer.WrittenMemory.Span[..chunk.Length].SequenceEqual(chunk));
    }
}
