using System.Globalization;
using System.Text;

namespace Weft.Relay.Server;

/// <summary>The relay's counters, updated with interlocked operations and printed as Prometheus text at /metrics.</summary>
public sealed class RelayMetrics
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _clients;
    private long _meshPeers;
    private long _packetsIn;
    private long _bytesIn;
    private long _packetsOut;
    private long _bytesOut;
    private long _packetsForwarded;
    private long _throttled;
    private long _handshakes;

    /// <summary>Nodes connected now.</summary>
    public long Clients => Volatile.Read(ref _clients);

    /// <summary>Mesh peers connected to us now.</summary>
    public long MeshPeers => Volatile.Read(ref _meshPeers);

    /// <summary>Packets received from clients and mesh peers.</summary>
    public long PacketsIn => Volatile.Read(ref _packetsIn);

    /// <summary>Packet bytes received.</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>Packets written to local clients.</summary>
    public long PacketsOut => Volatile.Read(ref _packetsOut);

    /// <summary>Packet bytes written to local clients.</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>Packets handed to a mesh peer for a client homed there.</summary>
    public long PacketsForwarded => Volatile.Read(ref _packetsForwarded);

    /// <summary>Times a client's reads were paused because it sent above its rate.</summary>
    public long Throttled => Volatile.Read(ref _throttled);

    /// <summary>Handshakes that authenticated.</summary>
    public long Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>Drops so far for one reason.</summary>
    public long Drops(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    internal void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void ClientConnected(bool mesh) => Interlocked.Increment(ref mesh ? ref _meshPeers : ref _clients);

    internal void ClientDisconnected(bool mesh) => Interlocked.Decrement(ref mesh ? ref _meshPeers : ref _clients);

    internal void HandshakeDone() => Interlocked.Increment(ref _handshakes);

    internal void PacketIn(int bytes)
    {
        Interlocked.Increment(ref _packetsIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    internal void PacketsWritten(int packets, long bytes)
    {
        Interlocked.Add(ref _packetsOut, packets);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    internal void Forwarded() => Interlocked.Increment(ref _packetsForwarded);

    internal void Throttle() => Interlocked.Increment(ref _throttled);

    /// <summary>Prometheus text exposition format.</summary>
    public string ToPrometheusText()
    {
        var text = new StringBuilder();
        Gauge(text, "weft_relay_clients", "Nodes connected now.", Clients);
        Gauge(text, "weft_relay_mesh_peers", "Mesh peers connected to this relay now.", MeshPeers);
        Counter(text, "weft_relay_handshakes_total", "Handshakes that authenticated.", Handshakes);
        Counter(text, "weft_relay_packets_in_total", "Packets received from clients and mesh peers.", PacketsIn);
        Counter(text, "weft_relay_bytes_in_total", "Packet bytes received.", BytesIn);
        Counter(text, "weft_relay_packets_out_total", "Packets written to local clients.", PacketsOut);
        Counter(text, "weft_relay_bytes_out_total", "Packet bytes written to local clients.", BytesOut);
        Counter(text, "weft_relay_packets_forwarded_total", "Packets handed to a mesh peer.", PacketsForwarded);
        Counter(text, "weft_relay_throttled_total", "Times a client's reads paused for its rate limit.", Throttled);
        text.Append("# HELP weft_relay_drops_total Packets or connections dropped, by reason.\n# TYPE weft_relay_drops_total counter\n");
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            text.Append(CultureInfo.InvariantCulture, $"weft_relay_drops_total{{reason=\"{Name(reason)}\"}} {Drops(reason)}\n");
        }

        return text.ToString();
    }

    /// <summary>The snake_case label of a drop reason.</summary>
    public static string Name(DropReason reason) => reason switch
    {
        DropReason.QueueFull => "queue_full",
        DropReason.SenderShareFull => "sender_share_full",
        DropReason.NoRoute => "no_route",
        DropReason.DestinationGone => "destination_gone",
        DropReason.Malformed => "malformed",
        DropReason.TooLarge => "too_large",
        DropReason.AuthFailed => "auth_failed",
        DropReason.HandshakeTimeout => "handshake_timeout",
        DropReason.HandshakeRateLimited => "handshake_rate_limited",
        DropReason.IdleTimeout => "idle_timeout",
        DropReason.ControlOverflow => "control_overflow",
        DropReason.Unauthenticated => "unauthenticated",
        _ => reason.ToString(),
    };

    private static void Gauge(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
}
