using System.Buffers.Binary;

namespace Weft.Node.Dns;

/// <summary>What the server does with one message after <see cref="DnsResponder.Handle"/>.</summary>
internal enum DnsDecision
{
    /// <summary>Send the reply written to the buffer.</summary>
    Reply,

    /// <summary>Send the reply (REFUSED): the query should be forwarded but there is nowhere to forward it.</summary>
    ReplyNoUpstream,

    /// <summary>Forward the query to the route's upstreams.</summary>
    Forward,

    /// <summary>Send nothing.</summary>
    Drop,
}

/// <summary>
/// The resolver's answer path: parses a query, answers MagicDNS names and tailnet reverse names from the
/// table, turns bad input into FORMERR/NOTIMP or silence, and says where everything else must be forwarded.
/// Pure and allocation-free, so it is tested without sockets and runs inline on the receive loop.
/// </summary>
internal static class DnsResponder
{
    private const string InAddrArpa = ".in-addr.arpa";
    private const string Ip6Arpa = ".ip6.arpa";

    /// <param name="table">The current snapshot.</param>
    /// <param name="message">The query as received.</param>
    /// <param name="overUdp">UDP limits apply (512 or the client's EDNS0 size); otherwise TCP's 65535.</param>
    /// <param name="reply">Buffer for the reply; at least <see cref="DnsConstants.MaxTcpMessage"/> for TCP, <see cref="DnsConstants.EdnsUdpSize"/> for UDP.</param>
    /// <param name="counters">Counted here, so every path counts the same way.</param>
    /// <param name="replyLength">Length of the reply for the Reply decisions.</param>
    /// <param name="route">The route for <see cref="DnsDecision.Forward"/>.</param>
    /// <param name="cache">Upstream replies to answer forwarded names from, if any.</param>
    public static DnsDecision Handle(DnsTable table, ReadOnlySpan<byte> message, bool overUdp, Span<byte> reply, DnsCounters counters, out int replyLength, out DnsRoute? route, DnsCache? cache = null)
    {
        Interlocked.Increment(ref counters._queries);
        replyLength = 0;
        route = null;
        if (overUdp && message.Length > DnsConstants.MaxUdpQuery && message.Length >= DnsConstants.HeaderLength
            && (message[2] & 0x80) == 0)
        {
            // No client sends a query this big: refuse it before spending time on its contents.
            Interlocked.Increment(ref counters._oversized);
            replyLength = HeaderOnly(message, reply, DnsConstants.RcodeFormErr);
            return DnsDecision.Reply;
        }
        switch (DnsQuery.Parse(message, out var query))
        {
            case DnsParseStatus.Drop:
                Interlocked.Increment(ref counters._dropped);
                return DnsDecision.Drop;
            case DnsParseStatus.NotImplemented:
                Interlocked.Increment(ref counters._notImplemented);
                replyLength = HeaderOnly(message, reply, DnsConstants.RcodeNotImp);
                return DnsDecision.Reply;
            case DnsParseStatus.FormatError:
                Interlocked.Increment(ref counters._formatErrors);
                replyLength = HeaderOnly(message, reply, DnsConstants.RcodeFormErr);
                return DnsDecision.Reply;
        }

        // RFC 1035 4.2.1 caps classic UDP at 512 bytes; with EDNS0 we accept up to our own limit.
        if (overUdp && !query.HasEdns && message.Length > DnsConstants.ClassicUdpLimit)
        {
            Interlocked.Increment(ref counters._oversized);
            replyLength = HeaderOnly(message, reply, DnsConstants.RcodeFormErr);
            return DnsDecision.Reply;
        }
        if (query.HasEdns && query.EdnsVersion != 0)
        {
            // RFC 6891 6.1.3: answer BADVERS with our version (0).
            Interlocked.Increment(ref counters._formatErrors);
            var writer = new DnsWriter(reply, reply.Length);
            writer.Begin(query.Id, ReplyFlags(query, authoritative: false), DnsConstants.ExtendedRcodeBadVers & 0xF, query.Question);
            writer.Opt(DnsConstants.ExtendedRcodeBadVers >> 4, query.DnssecOk);
            replyLength = writer.Finish();
            return DnsDecision.Reply;
        }

        Span<char> name = stackalloc char[DnsConstants.MaxNameLength];
        var nameLength = DnsName.ToLowerDotted(query.QuestionName, name);
        if (nameLength < 0)
        {
            // Not a name anything in the tailnet can have; the upstream may know what it is.
            route = table.DefaultRoute;
        }
        else
        {
            name = name[..nameLength];
            if (table.MagicDnsEnabled)
            {
                var local = AnswerLocally(table, query, name, overUdp, reply, counters);
                if (local > 0)
                {
                    Interlocked.Increment(ref counters._answeredLocally);
                    replyLength = local;
                    return DnsDecision.Reply;
                }
            }
            route = table.RouteFor(name);
            if (cache is not null && route.Upstreams.Count > 0)
            {
                Span<char> key = stackalloc char[DnsConstants.MaxNameLength + DnsCache.KeySuffixLength];
                var keyLength = DnsCache.Key(name, query, key);
                var cached = cache.TryAnswer(key[..keyLength], query, reply, overUdp ? query.UdpReplyLimit : DnsConstants.MaxTcpMessage);
                if (cached > 0)
                {
                    Interlocked.Increment(ref counters._answeredFromCache);
                    replyLength = cached;
                    return DnsDecision.Reply;
                }
            }
        }

        if (route.Upstreams.Count == 0)
        {
            Interlocked.Increment(ref counters._refused);
            replyLength = Simple(query, reply, DnsConstants.RcodeRefused);
            return DnsDecision.ReplyNoUpstream;
        }
        return DnsDecision.Forward;
    }

    /// <summary>Answers from the table; returns the reply length, or 0 when the name is not ours.</summary>
    private static int AnswerLocally(DnsTable table, DnsQuery query, ReadOnlySpan<char> name, bool overUdp, Span<byte> reply, DnsCounters counters)
    {
        DnsHost? host = null;
        if (name.Length > 0 && !name.Contains('.'))
        {
            // A single label: try it under each search domain, tailnet domain first.
            Span<char> candidate = stackalloc char[DnsConstants.MaxNameLength * 2];
            foreach (var domain in table.SearchDomains)
            {
                if (name.Length + 1 + domain.Length > DnsConstants.MaxNameLength)
                {
                    continue;
                }
                name.CopyTo(candidate);
                candidate[name.Length] = '.';
                domain.CopyTo(candidate[(name.Length + 1)..]);
                host = table.Find(candidate[..(name.Length + 1 + domain.Length)]);
                if (host is not null)
                {
                    break;
                }
            }
            if (host is null)
            {
                return 0;
            }
        }
        else
        {
            host = table.Find(name);
        }

        var isOurZone = table.Domain.Length > 0 && DnsName.IsAtOrBelow(name, table.Domain);
        if (host is not null || isOurZone)
        {
            if (!IsInternetClass(query.QuestionClass))
            {
                Interlocked.Increment(ref counters._refused);
                return Simple(query, reply, DnsConstants.RcodeRefused);
            }
            var zone = isOurZone ? table.DomainWire : [];
            if (host is not null)
            {
                return AnswerHost(query, host, zone, overUdp, reply, counters);
            }
            if (name.Length == table.Domain.Length)
            {
                // The zone apex: it exists and owns the SOA.
                var soaWanted = query.QuestionType is DnsConstants.TypeSoa or DnsConstants.TypeAny;
                return Negative(query, DnsConstants.RcodeNoError, zone, soaAsAnswer: soaWanted, overUdp, reply, counters);
            }
            Interlocked.Increment(ref counters._nxDomain);
            return Negative(query, DnsConstants.RcodeNxDomain, zone, soaAsAnswer: false, overUdp, reply, counters);
        }

        if (name.EndsWith(InAddrArpa, StringComparison.Ordinal) && TryParseReverseIPv4(name[..^InAddrArpa.Length], out var v4))
        {
            if (!DnsTable.IsTailnetIPv4(v4))
            {
                return 0;
            }
            return AnswerReverse(query, table.FindByIPv4(v4), DnsTable.IPv4ZoneWire, overUdp, reply, counters);
        }
        if (name.EndsWith(Ip6Arpa, StringComparison.Ordinal) && TryParseReverseIPv6(name[..^Ip6Arpa.Length], out var v6))
        {
            var known = table.FindByIPv6(v6);
            if (known is null && !table.IsTailnetIPv6(v6))
            {
                return 0;
            }
            return AnswerReverse(query, known, table.IPv6ZoneWire, overUdp, reply, counters);
        }
        return 0;
    }

    private static int AnswerHost(DnsQuery query, DnsHost host, ReadOnlySpan<byte> zone, bool overUdp, Span<byte> reply, DnsCounters counters)
    {
        var type = query.QuestionType;
        var wantA = type is DnsConstants.TypeA or DnsConstants.TypeAny;
        var wantAaaa = type is DnsConstants.TypeAaaa or DnsConstants.TypeAny;
        if ((!wantA || host.IPv4.Length == 0) && (!wantAaaa || host.IPv6.Length == 0))
        {
            // The name exists but has no record of this type: NOERROR with no answers (RFC 2308 "NODATA").
            return Negative(query, DnsConstants.RcodeNoError, zone, soaAsAnswer: false, overUdp, reply, counters);
        }
        var writer = Start(query, overUdp, reply, DnsConstants.RcodeNoError);
        if (wantA)
        {
            for (var i = 0; i < host.IPv4.Length; i += 4)
            {
                writer.AnswerForQuestion(DnsConstants.TypeA, DnsConstants.AnswerTtl, host.IPv4.AsSpan(i, 4));
            }
        }
        if (wantAaaa)
        {
            for (var i = 0; i < host.IPv6.Length; i += 16)
            {
                writer.AnswerForQuestion(DnsConstants.TypeAaaa, DnsConstants.AnswerTtl, host.IPv6.AsSpan(i, 16));
            }
        }
        return End(ref writer, query, reply, counters);
    }

    private static int AnswerReverse(DnsQuery query, DnsHost? host, ReadOnlySpan<byte> zone, bool overUdp, Span<byte> reply, DnsCounters counters)
    {
        if (!IsInternetClass(query.QuestionClass))
        {
            Interlocked.Increment(ref counters._refused);
            return Simple(query, reply, DnsConstants.RcodeRefused);
        }
        if (host is null)
        {
            Interlocked.Increment(ref counters._nxDomain);
            return Negative(query, DnsConstants.RcodeNxDomain, zone, soaAsAnswer: false, overUdp, reply, counters);
        }
        if (query.QuestionType is not (DnsConstants.TypePtr or DnsConstants.TypeAny))
        {
            return Negative(query, DnsConstants.RcodeNoError, zone, soaAsAnswer: false, overUdp, reply, counters);
        }
        var writer = Start(query, overUdp, reply, DnsConstants.RcodeNoError);
        writer.PtrForQuestion(DnsConstants.AnswerTtl, host.FqdnWire);
        return End(ref writer, query, reply, counters);
    }

    /// <summary>NXDOMAIN or NODATA with the zone's SOA in authority (or, for an SOA question at the apex, as the answer).</summary>
    private static int Negative(DnsQuery query, int rcode, ReadOnlySpan<byte> zone, bool soaAsAnswer, bool overUdp, Span<byte> reply, DnsCounters counters)
    {
        var writer = Start(query, overUdp, reply, rcode);
        if (zone.Length > 1)
        {
            writer.Soa(zone, query.QuestionName, soaAsAnswer);
        }
        return End(ref writer, query, reply, counters);
    }

    private static DnsWriter Start(DnsQuery query, bool overUdp, Span<byte> reply, int rcode)
    {
        var limit = overUdp ? query.UdpReplyLimit : DnsConstants.MaxTcpMessage;
        if (query.HasEdns)
        {
            limit -= DnsWriter.OptLength;
        }
        var writer = new DnsWriter(reply, limit);
        writer.Begin(query.Id, ReplyFlags(query, authoritative: true), rcode, query.Question);
        return writer;
    }

    private static int End(ref DnsWriter writer, DnsQuery query, Span<byte> reply, DnsCounters counters)
    {
        if (writer.Overflowed)
        {
            // RFC 2181 9: a reply that does not fit is sent with TC set; the client asks again over TCP.
            Interlocked.Increment(ref counters._truncated);
            var flags = (ushort)(ReplyFlags(query, authoritative: true) | DnsConstants.FlagTc);
            var rcode = BinaryPrimitives.ReadUInt16BigEndian(reply[2..]) & 0xF;
            writer = new DnsWriter(reply, reply.Length);
            writer.Begin(query.Id, flags, rcode, query.Question);
        }
        if (query.HasEdns)
        {
            writer.Opt(0, query.DnssecOk);
        }
        return writer.Finish();
    }

    /// <summary>A reply with the question echoed and no records (REFUSED and the like).</summary>
    private static int Simple(DnsQuery query, Span<byte> reply, int rcode)
    {
        var writer = new DnsWriter(reply, reply.Length);
        writer.Begin(query.Id, ReplyFlags(query, authoritative: false), rcode, query.Question);
        if (query.HasEdns)
        {
            writer.Opt(0, query.DnssecOk);
        }
        return writer.Finish();
    }

    /// <summary>An error reply for a message whose question we could not read: the header alone.</summary>
    private static int HeaderOnly(ReadOnlySpan<byte> message, Span<byte> reply, int rcode)
    {
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var writer = new DnsWriter(reply, reply.Length);
        writer.Begin(BinaryPrimitives.ReadUInt16BigEndian(message), (ushort)(DnsConstants.FlagQr | (flags & (0x7800 | DnsConstants.FlagRd))), rcode, []);
        return writer.Finish();
    }

    private static ushort ReplyFlags(DnsQuery query, bool authoritative) =>
        (ushort)(DnsConstants.FlagQr | DnsConstants.FlagRa
            | (authoritative ? DnsConstants.FlagAa : 0)
            | (query.Flags & (DnsConstants.FlagRd | DnsConstants.FlagCd)));

    private static bool IsInternetClass(ushort questionClass) =>
        questionClass is DnsConstants.ClassIn or DnsConstants.ClassAny;

    /// <summary>"d.c.b.a" (the labels before in-addr.arpa) to the address a.b.c.d.</summary>
    internal static bool TryParseReverseIPv4(ReadOnlySpan<char> labels, out uint address)
    {
        address = 0;
        var shift = 0;
        foreach (var range in labels.Split('.'))
        {
            var label = labels[range];
            if (shift > 24 || label.Length is 0 or > 3 || (label.Length > 1 && label[0] == '0')
                || !uint.TryParse(label, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var octet) || octet > 255)
            {
                return false;
            }
            address |= octet << shift;
            shift += 8;
        }
        return shift == 32;
    }

    /// <summary>32 single-nibble labels, least significant first (the labels before ip6.arpa), to the address.</summary>
    internal static bool TryParseReverseIPv6(ReadOnlySpan<char> labels, out UInt128 address)
    {
        address = 0;
        if (labels.Length != 63)
        {
            return false;
        }
        for (var i = 0; i < 32; i++)
        {
            var c = labels[i * 2];
            if ((i < 31 && labels[(i * 2) + 1] != '.') || !char.IsAsciiHexDigit(c))
            {
                return false;
            }
            UInt128 nibble = (uint)(c <= '9' ? c - '0' : c - 'a' + 10);
            address |= nibble << (i * 4);
        }
        return true;
    }
}
