using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Weft.Core.Wire;
using Weft.WireGuard;

namespace Weft.Node.Filter;

/// <summary>
/// The node's firewall on the WireGuard data path: inbound packets pass when the netmap's rules accept
/// them or when they belong to a flow this node opened (connection tracking); outbound packets to tailnet
/// peers always pass and open flows. Safe to call from several data-path threads at once; allocates nothing per packet.
/// </summary>
/// <remarks>
/// Decisions for an inbound packet, in order:
/// <list type="number">
/// <item>Malformed headers (truncated, inconsistent lengths, a TCP first fragment shorter than a TCP header, a later
/// TCP fragment starting inside the TCP header): dropped.</item>
/// <item>A later fragment (IPv4 offset &gt; 0, or an IPv6 fragment header with offset &gt; 0) passes only when the
/// first fragment of the same datagram (source, destination, protocol, identification) passed within
/// <see cref="FilterConstants.FragmentTimeout"/>; fragments that overtake their first fragment are dropped. Rules are
/// never consulted for them, since they carry no ports.</item>
/// <item>A reply on a tracked flow passes: TCP after this node's SYN, UDP after this node sent on the 5-tuple,
/// ICMP echo replies to this node's echo requests (by identifier), and ICMP errors (unreachable, fragmentation
/// needed, packet too big, time exceeded) quoting a packet of a tracked flow.</item>
/// <item>Otherwise the netmap's rules decide (<see cref="PacketFilter"/>); an ICMP error also passes when the rules
/// would accept the flow it quotes in the other direction (the error is about this node's reply on an allowed flow).
/// Echo requests need a rule. A packet for an address that is not this node's and that no rule's destination
/// covers (subnet routes are covered by their rules) is dropped and counted apart.</item>
/// </list>
/// Flows expire after their idle timeouts (<see cref="FilterConstants"/>), measured on a clock that ticks once a
/// second (<see cref="FilterConstants.ClockResolution"/>) so the data path never reads the time itself.
/// </remarks>
public sealed class TailnetFilter : IPacketFilter, IDisposable
{
    private readonly TimeProvider _time;
    private readonly FlowTable _flows;
    private readonly long _tcpTicks;
    private readonly long _tcpClosingTicks;
    private readonly long _udpTicks;
    private readonly long _icmpTicks;
    private readonly long _fragmentTicks;
    private readonly ITimer _clock;

    // The current timestamp, refreshed every ClockResolution by _clock: the data path never reads the clock itself.
    private long _now;

    // Replaced whole by SetRules (copy-on-write); the data path reads it once per packet.
    private volatile RuleSet _rules = RuleSet.Empty;

    /// <summary>A filter with no rules (only replies to this node's own flows get in) and a table of the default size.</summary>
    public TailnetFilter(TimeProvider time)
        : this(time, FilterConstants.DefaultFlowCapacity)
    {
    }

    /// <summary>A filter with no rules that tracks up to <paramref name="flowCapacity"/> flows (rounded up to a power of two).</summary>
    public TailnetFilter(TimeProvider time, int flowCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _flows = new FlowTable(flowCapacity);
        _tcpTicks = Ticks(time, FilterConstants.TcpTimeout);
        _tcpClosingTicks = Ticks(time, FilterConstants.TcpClosingTimeout);
        _udpTicks = Ticks(time, FilterConstants.UdpTimeout);
        _icmpTicks = Ticks(time, FilterConstants.IcmpTimeout);
        _fragmentTicks = Ticks(time, FilterConstants.FragmentTimeout);
        Counters = new FilterCounters(this);
        _now = time.GetTimestamp();
        _clock = time.CreateTimer(
            static state => ((TailnetFilter)state!).Tick(), this, FilterConstants.ClockResolution, FilterConstants.ClockResolution);
    }

    /// <summary>Accepted, dropped (by reason) and tracked counts.</summary>
    public FilterCounters Counters { get; }

    /// <summary>Why rules of the last <see cref="SetRules"/> call were left out; empty when all compiled.</summary>
    public IReadOnlyList<string> RuleErrors => _rules.Errors;

    internal FlowTable Flows => _flows;

    internal int InvalidRuleCount => _rules.Errors.Count;

    /// <summary>
    /// Replaces the rules (from the netmap) and this node's own addresses; tracked flows stay valid. A rule
    /// that does not compile (bad prefix, reversed port range, protocol out of range) is left out, so it
    /// allows nothing, and is listed in <see cref="RuleErrors"/>.
    /// </summary>
    public void SetRules(IReadOnlyList<FilterRule> rules, IReadOnlyList<IPNetwork> localAddresses)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(localAddresses);
        var valid = new List<FilterRule>(rules.Count);
        var errors = new List<string>();
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i] is null)
            {
                errors.Add($"filter rule {i}: missing");
            }
            else if (PacketFilter.TryCreate([rules[i]], out _, out var error))
            {
                valid.Add(rules[i]);
            }
            else
            {
                // PacketFilter numbers the rule 0 when compiled alone; name the netmap's index instead.
                errors.Add($"filter rule {i} ({rules[i]}): {error}");
            }
        }
        var local = new Prefix[localAddresses.Count];
        for (var i = 0; i < local.Length; i++)
        {
            local[i] = Prefix.From(localAddresses[i]);
        }
        _rules = new RuleSet(new PacketFilter(valid), local, errors);
    }

    /// <summary>Always true (this node may reach its peers); records the flows it opens so their replies get back in.</summary>
    public bool AllowOutbound(ReadOnlySpan<byte> ipPacket)
    {
        if (!IpPacket.TryParse(ipPacket, out var p) || p.Fragment == FragmentPart.Later)
        {
            // Nothing to track; the peer's filter judges what it receives.
            return true;
        }
        var now = Volatile.Read(ref _now);
        switch (p.Protocol)
        {
            case IpProtocol.Tcp:
            {
                var key = new FlowKey(p.Source, p.Destination, p.SourcePort, p.DestinationPort, IpProtocol.Tcp, FlowKind.Flow);
                var closing = (p.TcpFlags & (IpPacket.TcpFin | IpPacket.TcpRst)) != 0;
                // Only a SYN opens a flow: replies this node sends on a connection a rule let in create nothing.
                if (!_flows.TryTouch(in key, now, _tcpTicks, _tcpClosingTicks, closing) &&
                    (p.TcpFlags & (IpPacket.TcpSyn | IpPacket.TcpAck | IpPacket.TcpRst)) == IpPacket.TcpSyn)
                {
                    _flows.Add(in key, now, now + _tcpTicks);
                }
                break;
            }
            case IpProtocol.Udp:
            {
                var key = new FlowKey(p.Source, p.Destination, p.SourcePort, p.DestinationPort, IpProtocol.Udp, FlowKind.Flow);
                if (!_flows.TryTouch(in key, now, _udpTicks, _udpTicks, close: false))
                {
                    _flows.Add(in key, now, now + _udpTicks);
                }
                break;
            }
            case IpProtocol.Icmp or IpProtocol.IcmpV6 when p.Icmp == IcmpClass.EchoRequest:
            {
                var key = new FlowKey(p.Source, p.Destination, p.EchoId, 0, p.Protocol, FlowKind.Flow);
                if (!_flows.TryTouch(in key, now, _icmpTicks, _icmpTicks, close: false))
                {
                    _flows.Add(in key, now, now + _icmpTicks);
                }
                break;
            }
        }
        return true;
    }

    /// <summary>True when a rule accepts the packet or it belongs to a flow this node opened; every outcome is counted.</summary>
    public bool AllowInbound(ReadOnlySpan<byte> ipPacket)
    {
        if (!IpPacket.TryParse(ipPacket, out var p))
        {
            Interlocked.Increment(ref Counters._malformed);
            return false;
        }
        var now = Volatile.Read(ref _now);
        if (p.Fragment == FragmentPart.Later)
        {
            if (_flows.Contains(FlowKey.ForFragment(p.Source, p.Destination, p.FragmentId, p.Protocol), now))
            {
                Interlocked.Increment(ref Counters._acceptedByFlow);
                return true;
            }
            Interlocked.Increment(ref Counters._droppedFragment);
            return false;
        }
        var rules = _rules;
        if (MatchesTrackedFlow(in p, now))
        {
            Interlocked.Increment(ref Counters._acceptedByFlow);
        }
        else if (rules.Filter.Allows(ipPacket) || QuoteAllowedByRules(in p, rules.Filter))
        {
            Interlocked.Increment(ref Counters._acceptedByRule);
        }
        else
        {
            Interlocked.Increment(ref rules.IsLocal(p.Destination) ? ref Counters._droppedByRule : ref Counters._droppedNotLocal);
            return false;
        }
        if (p.Fragment == FragmentPart.First)
        {
            // The rest of this datagram may follow; it carries no ports, so it is judged by this decision.
            _flows.Add(FlowKey.ForFragment(p.Source, p.Destination, p.FragmentId, p.Protocol), now, now + _fragmentTicks);
        }
        return true;
    }

    /// <summary>Stops the filter's clock.</summary>
    public void Dispose() => _clock.Dispose();

    internal int CountTrackedFlows() => _flows.CountLive(Volatile.Read(ref _now));

    private void Tick() => Volatile.Write(ref _now, _time.GetTimestamp());

    /// <summary>True (and the flow refreshed) when the packet answers a flow this node opened.</summary>
    private bool MatchesTrackedFlow(in IpPacket p, long now)
    {
        switch (p.Protocol)
        {
            case IpProtocol.Tcp:
            {
                var key = new FlowKey(p.Destination, p.Source, p.DestinationPort, p.SourcePort, IpProtocol.Tcp, FlowKind.Flow);
                var closing = (p.TcpFlags & (IpPacket.TcpFin | IpPacket.TcpRst)) != 0;
                return _flows.TryTouch(in key, now, _tcpTicks, _tcpClosingTicks, closing);
            }
            case IpProtocol.Udp:
            {
                var key = new FlowKey(p.Destination, p.Source, p.DestinationPort, p.SourcePort, IpProtocol.Udp, FlowKind.Flow);
                return _flows.TryTouch(in key, now, _udpTicks, _udpTicks, close: false);
            }
            case IpProtocol.Icmp or IpProtocol.IcmpV6 when p.Icmp == IcmpClass.EchoReply:
            {
                var key = new FlowKey(p.Destination, p.Source, p.EchoId, 0, p.Protocol, FlowKind.Flow);
                return _flows.TryTouch(in key, now, _icmpTicks, _icmpTicks, close: false);
            }
            case IpProtocol.Icmp or IpProtocol.IcmpV6 when p.Icmp == IcmpClass.Error && QuotesOwnPacket(in p):
            {
                // An error does not keep its flow alive: a stream of unreachables must not hold a flow open.
                var key = new FlowKey(
                    p.QuoteSource, p.QuoteDestination, p.QuoteSourcePort, p.QuoteIsEcho ? (ushort)0 : p.QuoteDestinationPort,
                    p.QuoteProtocol, FlowKind.Flow);
                return _flows.Contains(in key, now);
            }
            default:
                return false;
        }
    }

    /// <summary>
    /// True for an ICMP error quoting this node's reply on a flow the rules accept the other way (a peer's
    /// packet too big about our answer to its SSH session, say): the rules are asked about the reversed quote.
    /// </summary>
    private static bool QuoteAllowedByRules(in IpPacket p, PacketFilter rules)
    {
        if (p.Icmp != IcmpClass.Error || !QuotesOwnPacket(in p) || p.QuoteIsEcho)
        {
            return false;
        }
        // The smallest packet PacketFilter reads: an IP header and the two ports.
        Span<byte> reversed = stackalloc byte[44];
        reversed.Clear();
        int length;
        if (p.IsV6)
        {
            reversed[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(reversed[4..], 4);
            reversed[6] = p.QuoteProtocol;
            BinaryPrimitives.WriteUInt128BigEndian(reversed[8..], p.QuoteDestination);
            BinaryPrimitives.WriteUInt128BigEndian(reversed[24..], p.QuoteSource);
            length = 40;
        }
        else
        {
            reversed[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(reversed[2..], 24);
            reversed[9] = p.QuoteProtocol;
            BinaryPrimitives.WriteUInt32BigEndian(reversed[12..], (uint)p.QuoteDestination);
            BinaryPrimitives.WriteUInt32BigEndian(reversed[16..], (uint)p.QuoteSource);
            length = 20;
        }
        BinaryPrimitives.WriteUInt16BigEndian(reversed[length..], p.QuoteDestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(reversed[(length + 2)..], p.QuoteSourcePort);
        return rules.Allows(reversed[..(length + 4)]);
    }

    /// <summary>An error is about a packet this node sent only when it quotes a packet from the address it is sent to.</summary>
    private static bool QuotesOwnPacket(in IpPacket p) => p.HasQuote && p.QuoteSource == p.Destination;

    private static long Ticks(TimeProvider time, TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>A local address or routed prefix in the filter's 128-bit form.</summary>
    private readonly record struct Prefix(UInt128 Network, UInt128 Mask)
    {
        public bool Contains(UInt128 address) => (address & Mask) == Network;

        public static Prefix From(IPNetwork network)
        {
            Span<byte> bytes = stackalloc byte[16];
            _ = network.BaseAddress.TryWriteBytes(bytes, out var written);
            if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                var bits = 96 + network.PrefixLength;
                var mask = UInt128.MaxValue << (128 - bits);
                return new Prefix(IpPacket.MapV4(BinaryPrimitives.ReadUInt32BigEndian(bytes[..written])) & mask, mask);
            }
            var length = network.PrefixLength;
            var mask6 = length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);
            return new Prefix(BinaryPrimitives.ReadUInt128BigEndian(bytes[..written]) & mask6, mask6);
        }
    }

    /// <summary>One netmap's compiled rules and this node's addresses, swapped whole.</summary>
    private sealed class RuleSet(PacketFilter filter, Prefix[] local, IReadOnlyList<string> errors)
    {
        public static RuleSet Empty { get; } = new(PacketFilter.DenyAll, [], []);

        public PacketFilter Filter { get; } = filter;

        public IReadOnlyList<string> Errors { get; } = errors;

        public bool IsLocal(UInt128 address)
        {
            foreach (var prefix in local)
            {
                if (prefix.Contains(address))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
