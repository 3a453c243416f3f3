using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Weft.Core.Control;

namespace Weft.Control.Map;

/// <summary>
/// Writes a map response as the server frame <c>{"map":{...}}</c>, byte for byte what serialising the
/// <see cref="ServerMessage"/> gives, but with every node's JSON serialised once and copied into each frame
/// that carries it. A join at 10,000 nodes sends the new node to 9,999 peers and every peer to the new node;
/// serialising each description per recipient was most of the server's CPU during joins.
/// </summary>
internal static class MapFrame
{
    /// <summary>
    /// UTF-8 JSON of each wire node, kept as long as the node object lives. The map builds one object per node
    /// version and shares it between all recipients, so one entry serves every frame that node appears in.
    /// </summary>
    private static readonly ConditionalWeakTable<Node, byte[]> NodeJsonCache = [];

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = ControlJsonContext.Default.Options.Encoder,
        MaxDepth = ControlJsonContext.Default.Options.MaxDepth,
    };

    /// <summary>The node's JSON, serialised on first use.</summary>
    public static byte[] NodeJson(Node node) =>
        NodeJsonCache.GetValue(node, static n => JsonSerializer.SerializeToUtf8Bytes(n, ControlJsonContext.Default.Node));

    /// <summary>
    /// A size the frame will probably not exceed, so a full map is written without growing its buffer:
    /// the node descriptions (serialised now if they were not yet) plus room for the rest.
    /// </summary>
    public static int EstimateSize(MapResponse r)
    {
        long size = 4096;
        size += Nodes(r.Self is { } self ? [self] : null) + Nodes(r.Peers) + Nodes(r.PeersChanged);
        size += 12L * (r.PeersRemoved?.Count ?? 0) + 128L * (r.PeersPatched?.Count ?? 0) + 160L * (r.UserProfiles?.Count ?? 0);
        return (int)Math.Min(size, ControlProtocol.MaxFramePlaintext);

        static long Nodes(IReadOnlyList<Node>? nodes)
        {
            long n = 0;
            if (nodes is not null)
            {
                foreach (var node in nodes)
                {
                    n += NodeJson(node).Length + 1;
                }
            }

            return n;
        }
    }

    /// <summary>Writes <c>{"map":r}</c> to <paramref name="output"/>, property for property as the source-generated serialiser does.</summary>
    public static void Write(IBufferWriter<byte> output, MapResponse r)
    {
        var ctx = ControlJsonContext.Default;
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        w.WritePropertyName("map"u8);
        w.WriteStartObject();
        w.WriteBoolean("keepAlive"u8, r.KeepAlive);
        if (r.Self is { } self)
        {
            w.WritePropertyName("self"u8);
            w.WriteRawValue(NodeJson(self), skipInputValidation: true);
        }

        WriteNodes(w, "peers"u8, r.Peers);
        WriteNodes(w, "peersChanged"u8, r.PeersChanged);
        if (r.PeersRemoved is { } removed)
        {
            w.WritePropertyName("peersRemoved"u8);
            w.WriteStartArray();
            foreach (var id in removed)
            {
                w.WriteNumberValue(id);
            }

            w.WriteEndArray();
        }

        if (r.PeersPatched is { } patched)
        {
            w.WritePropertyName("peersPatched"u8);
            JsonSerializer.Serialize(w, patched, ctx.IReadOnlyListPeerPatch);
        }

        if (r.PacketFilter is { } filter)
        {
            w.WritePropertyName("packetFilter"u8);
            JsonSerializer.Serialize(w, filter, ctx.IReadOnlyListFilterRule);
        }

        if (r.Dns is { } dns)
        {
            w.WritePropertyName("dns"u8);
            JsonSerializer.Serialize(w, dns, ctx.DnsConfig);
        }

        if (r.UserProfiles is { } profiles)
        {
            w.WritePropertyName("userProfiles"u8);
            JsonSerializer.Serialize(w, profiles, ctx.IReadOnlyListUserProfile);
        }

        if (r.RelayMap is { } relays)
        {
            w.WritePropertyName("relayMap"u8);
            JsonSerializer.Serialize(w, relays, ctx.RelayMap);
        }

        if (r.LatestClientVersion is { } latest)
        {
            w.WriteString("latestClientVersion"u8, latest);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteNodes(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyList<Node>? nodes)
    {
        if (nodes is null)
        {
            return;
        }

        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var node in nodes)
        {
            w.WriteRawValue(NodeJson(node), skipInputValidation: true);
        }

        w.WriteEndArray();
    }
}
