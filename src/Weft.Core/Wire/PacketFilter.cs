using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.Core.Wire;

/// <summary>
/// Decides whether an inbound IP packet is allowed by a set of <see cref="FilterRule"/>s. Built once per
/// netmap (prefixes parsed up front) and then queried from the data path without allocating. Stateless:
/// replies to the node's own outbound flows are the connection tracker's job, not this class's.
/// </summary>
public sealed class PacketFilter
{
    private const int IPv4HeaderMin = 20;
    private const int IPv6HeaderLength = 40;

    // Our choice: more extension headers than any sane packet carries; beyond this the packet is malformed.
    private const int MaxIPv6ExtensionHeaders = 8;

    private readonly CompiledRule[] _rules;

    // Updated with Interlocked; read by diagnostics.
    private long _malformed;

    /// <summary>Builds a filter. Throws <see cref="FormatException"/> naming the rule and prefix when a prefix is invalid.</summary>
    public PacketFilter(IReadOnlyList<FilterRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = new CompiledRule[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            _rules[i] = CompiledRule.From(rules[i], i);
        }
    }

    /// <summary>A filter that drops everything.</summary>
    public static PacketFilter DenyAll { get; } = new([]);

    /// <summary>Builds a filter, or returns false with a message naming the first bad rule.</summary>
    public static bool TryCreate(IReadOnlyList<FilterRule> rules, out PacketFilter? filter, out string? error)
    {
        try
        {
            filter = new PacketFilter(rules);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            filter = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Packets dropped because their headers were truncated or inconsistent.</summary>
    public long MalformedCount => Interlocked.Read(ref _malformed);

    /// <summary>True when some rule accepts <paramref name="ipPacket"/> (an IPv4 or IPv6 packet starting at its IP header).</summary>
    public bool Allows(ReadOnlySpan<byte> ipPacket)
    {
        if (!PacketHeader.TryParse(ipPacket, out var header))
        {
            Interlocked.Increment(ref _malformed);
            return false;
        }

        foreach (var rule in _rules)
        {
            if (rule.Matches(in header))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The fields of an IP packet the filter looks at.</summary>
    private struct PacketHeader
    {
        public bool IsV6;
        public uint Src4;
        public uint Dst4;
        public UInt128 Src6;
        public UInt128 Dst6;
        public int Protocol;

        /// <summary>False for non-first fragments and port-less protocols: only addresses and protocol are checked.</summary>
        public bool HasPort;
        public ushort DstPort;

        public static bool TryParse(ReadOnlySpan<byte> p, out PacketHeader h)
        {
            h = default;
            if (p.IsEmpty)
            {
                return false;
            }

            return (p[0] >> 4) switch
            {
                4 => TryParseV4(p, ref h),
                6 => TryParseV6(p, ref h),
                _ => false,
            };
        }

        private static bool TryParseV4(ReadOnlySpan<byte> p, ref PacketHeader h)
        {
            if (p.Length < IPv4HeaderMin)
            {
                return false;
            }

            var headerLength = (p[0] & 0x0F) * 4;
            if (headerLength < IPv4HeaderMin || headerLength > p.Length)
            {
                return false;
            }

            h.Protocol = p[9];
            h.Src4 = BinaryPrimitives.ReadUInt32BigEndian(p[12..]);
            h.Dst4 = BinaryPrimitives.ReadUInt32BigEndian(p[16..]);
            var fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(p[6..]) & 0x1FFF;
            return ReadPort(p, headerLength, firstFragment: fragmentOffset == 0, ref h);
        }

        private static bool TryParseV6(ReadOnlySpan<byte> p, ref PacketHeader h)
        {
            if (p.Length < IPv6HeaderLength)
            {
                return false;
            }

            h.IsV6 = true;
            h.Src6 = BinaryPrimitives.ReadUInt128BigEndian(p[8..]);
            h.Dst6 = BinaryPrimitives.ReadUInt128BigEndian(p[24..]);
            int next = p[6];
            var offset = IPv6HeaderLength;
            var firstFragment = true;
            for (var hops = 0; ; hops++)
            {
                if (hops > MaxIPv6ExtensionHeaders)
                {
                    return false;
                }

                int length;
                switch (next)
                {
                    case 0 or 43 or 60: // hop-by-hop, routing, destination options (RFC 8200)
                        if (offset + 2 > p.Length)
                        {
                            return false;
                        }

                        length = (p[offset + 1] + 1) * 8;
                        break;
                    case 44: // fragment header, fixed 8 bytes
                        if (offset + 8 > p.Length)
                        {
                            return false;
                        }

                        firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(p[(offset + 2)..]) >> 3) == 0;
                        length = 8;
                        break;
                    case 51: // authentication header counts in 4-byte units (RFC 4302)
                        if (offset + 2 > p.Length)
                        {
                            return false;
                        }

                        length = (p[offset + 1] + 2) * 4;
                        break;
                    default:
                        h.Protocol = next;
                        return ReadPort(p, offset, firstFragment, ref h);
                }

                if (offset + length > p.Length)
                {
                    return false;
                }

                next = p[offset];
                offset += length;
            }
        }

        private static bool ReadPort(ReadOnlySpan<byte> p, int transportOffset, bool firstFragment, ref PacketHeader h)
        {
            if (!firstFragment || !IpProtocol.HasPorts(h.Protocol))
            {
                return true;
            }

            if (transportOffset + 4 > p.Length)
            {
                return false;
            }

            h.HasPort = true;
            h.DstPort = BinaryPrimitives.ReadUInt16BigEndian(p[(transportOffset + 2)..]);
            return true;
        }
    }

    private readonly record struct Prefix4(uint Network, uint Mask)
    {
        public bool Contains(uint address) => (address & Mask) == Network;
    }

    private readonly record struct Prefix6(UInt128 Network, UInt128 Mask)
    {
        public bool Contains(UInt128 address) => (address & Mask) == Network;
    }

    private readonly record struct Destination4(Prefix4 Prefix, PortRange Ports);

    private readonly record struct Destination6(Prefix6 Prefix, PortRange Ports);

    /// <summary>One rule with its prefixes parsed and split by family, and its protocols as a 256-bit set.</summary>
    private sealed class CompiledRule
    {
        private readonly Prefix4[] _src4;
        private readonly Prefix6[] _src6;
        private readonly Destination4[] _dst4;
        private readonly Destination6[] _dst6;
        private readonly ulong[] _protocols = new ulong[4];

        private CompiledRule(Prefix4[] src4, Prefix6[] src6, Destination4[] dst4, Destination6[] dst6)
        {
            _src4 = src4;
            _src6 = src6;
            _dst4 = dst4;
            _dst6 = dst6;
        }

        public static CompiledRule From(FilterRule rule, int index)
        {
            var src4 = new List<Prefix4>();
            var src6 = new List<Prefix6>();
            foreach (var text in rule.Sources)
            {
                AddPrefix(text, index, "source", src4, src6);
            }

            var dst4 = new List<Destination4>();
            var dst6 = new List<Destination6>();
            var p4 = new List<Prefix4>(1);
            var p6 = new List<Prefix6>(1);
            foreach (var dst in rule.Destinations)
            {
                if (dst.Ports.First > dst.Ports.Last)
                {
                    throw new FormatException($"filter rule {index}: port range {dst.Ports.First}-{dst.Ports.Last} is reversed");
                }

                p4.Clear();
                p6.Clear();
                AddPrefix(dst.Prefix, index, "destination", p4, p6);
                foreach (var p in p4)
                {
                    dst4.Add(new Destination4(p, dst.Ports));
                }

                foreach (var p in p6)
                {
                    dst6.Add(new Destination6(p, dst.Ports));
                }
            }

            var compiled = new CompiledRule([.. src4], [.. src6], [.. dst4], [.. dst6]);
            if (rule.Protocols.Count == 0)
            {
                foreach (var proto in IpProtocol.Defaults)
                {
                    compiled.AddProtocol(proto);
                }
            }

            foreach (var proto in rule.Protocols)
            {
                if (proto == IpProtocol.Any)
                {
                    Array.Fill(compiled._protocols, ulong.MaxValue);
                }
                else if (proto is >= 0 and <= 255)
                {
                    compiled.AddProtocol(proto);
                }
                else
                {
                    throw new FormatException($"filter rule {index}: protocol {proto} is not 0-255");
                }
            }

            return compiled;
        }

        private void AddProtocol(int proto) => _protocols[proto >> 6] |= 1UL << (proto & 63);

        public bool Matches(in PacketHeader h)
        {
            if ((_protocols[h.Protocol >> 6] & (1UL << (h.Protocol & 63))) == 0)
            {
                return false;
            }

            return h.IsV6 ? Matches6(in h) : Matches4(in h);
        }

        private bool Matches4(in PacketHeader h)
        {
            var srcOk = false;
            foreach (var p in _src4)
            {
                if (p.Contains(h.Src4))
                {
                    srcOk = true;
                    break;
                }
            }

            if (!srcOk)
            {
                return false;
            }

            foreach (var d in _dst4)
            {
                if (d.Prefix.Contains(h.Dst4) && (!h.HasPort || d.Ports.Contains(h.DstPort)))
                {
                    return true;
                }
            }

            return false;
        }

        private bool Matches6(in PacketHeader h)
        {
            var srcOk = false;
            foreach (var p in _src6)
            {
                if (p.Contains(h.Src6))
                {
                    srcOk = true;
                    break;
                }
            }

            if (!srcOk)
            {
                return false;
            }

            foreach (var d in _dst6)
            {
                if (d.Prefix.Contains(h.Dst6) && (!h.HasPort || d.Ports.Contains(h.DstPort)))
                {
                    return true;
                }
            }

            return false;
        }

        private static void AddPrefix(string text, int index, string role, List<Prefix4> v4, List<Prefix6> v6)
        {
            if (!IPNetwork.TryParse(text, out var network))
            {
                throw new FormatException($"filter rule {index}: bad {role} prefix \"{text}\"");
            }

            Span<byte> bytes = stackalloc byte[16];
            _ = network.BaseAddress.TryWriteBytes(bytes, out var written);
            var bits = network.PrefixLength;
            if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
                v4.Add(new Prefix4(BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]) & mask, mask));
            }
            else
            {
                var mask = bits == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - bits);
                v6.Add(new Prefix6(BinaryPrimitives.ReadUInt128BigEndian(bytes[..written]) & mask, mask));
            }
        }
    }
}
