namespace Weft.Node.Filter;

/// <summary>What a tracked entry stands for: a flow this node opened, or a fragmented datagram whose first fragment passed.</summary>
internal enum FlowKind : byte
{
    Flow = 1,
    Fragment = 2,
}

/// <summary>
/// A tracked flow seen from this node: local and remote address (IPv4 mapped into IPv6 so both families
/// share one table), ports (an ICMP echo's identifier as the local port), protocol and kind. For a
/// fragment entry the ports hold the two halves of the datagram's identification.
/// </summary>
internal readonly struct FlowKey : IEquatable<FlowKey>
{
    public FlowKey(UInt128 local, UInt128 remote, ushort localPort, ushort remotePort, byte protocol, FlowKind kind)
    {
        Local = local;
        Remote = remote;
        LocalPort = localPort;
        RemotePort = remotePort;
        Protocol = protocol;
        Kind = kind;
    }

    public UInt128 Local { get; }

    public UInt128 Remote { get; }

    public ushort LocalPort { get; }

    public ushort RemotePort { get; }

    public byte Protocol { get; }

    public FlowKind Kind { get; }

    /// <summary>A fragmented datagram's entry: it names the datagram, as reassembly does (RFC 791, RFC 8200).</summary>
    public static FlowKey ForFragment(UInt128 source, UInt128 destination, uint identification, byte protocol) =>
        new(destination, source, (ushort)identification, (ushort)(identification >> 16), protocol, FlowKind.Fragment);

    /// <summary>
    /// A 64-bit hash keyed by a secret <paramref name="k"/>, so a peer cannot aim fragments or flows at one
    /// neighbourhood of the table. Key-mixed lane products (as in NH hashing) run in parallel; one
    /// finaliser then spreads every bit.
    /// </summary>
    public ulong Hash(in FlowHashKey k)
    {
        var a = ((ulong)Local ^ k.K0) * ((ulong)Remote ^ k.K1);
        var b = ((ulong)(Local >> 64) ^ k.K2) * ((ulong)(Remote >> 64) ^ k.K3);
        var c = ((ulong)LocalPort << 32 | (ulong)RemotePort << 16 | (ulong)Protocol << 8 | (byte)Kind) ^ k.K4;
        return Mix(a + b + (c * 0x9E3779B97F4A7C15UL));
    }

    public bool Equals(FlowKey other) => Equals(in other);

    public bool Equals(in FlowKey other) =>
        Local == other.Local && Remote == other.Remote && LocalPort == other.LocalPort &&
        RemotePort == other.RemotePort && Protocol == other.Protocol && Kind == other.Kind;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override int GetHashCode() => (int)Hash(default);

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);

    // The splitmix64 finaliser: every input bit reaches every output bit.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}

/// <summary>The secret that keys <see cref="FlowKey.Hash"/>, drawn once per table.</summary>
internal readonly record struct FlowHashKey(ulong K0, ulong K1, ulong K2, ulong K3, ulong K4)
{
    public static FlowHashKey Create()
    {
        Span<ulong> k = stackalloc ulong[5];
        System.Security.Cryptography.RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(k));
        // Odd multipliers keep every bit of the other factor in play.
        return new FlowHashKey(k[0], k[1] | 1, k[2], k[3] | 1, k[4]);
    }
}
