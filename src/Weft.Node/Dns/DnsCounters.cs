namespace Weft.Node.Dns;

/// <summary>What the MagicDNS resolver answered, forwarded and refused, and why. Counters only grow.</summary>
public sealed class DnsCounters
{
    internal long _queries;
    internal long _answeredLocally;
    internal long _nxDomain;
    internal long _forwarded;
    internal long _answeredFromCache;
    internal long _forwardedOverTcp;
    internal long _upstreamFailures;
    internal long _upstreamMismatched;
    internal long _refused;
    internal long _formatErrors;
    internal long _notImplemented;
    internal long _dropped;
    internal long _oversized;
    internal long _truncated;
    internal long _overloaded;

    /// <summary>Messages received over UDP and TCP, well-formed or not.</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Queries answered from the MagicDNS table (including NXDOMAIN and no-data answers).</summary>
    public long AnsweredLocally => Interlocked.Read(ref _answeredLocally);

    /// <summary>Local answers that were NXDOMAIN: an unknown name under the tailnet domain or an unknown tailnet address.</summary>
    public long NxDomain => Interlocked.Read(ref _nxDomain);

    /// <summary>Queries answered by an upstream nameserver.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Queries for forwarded names answered from the cache of upstream replies.</summary>
    public long AnsweredFromCache => Interlocked.Read(ref _answeredFromCache);

    /// <summary>Forwarded queries retried over TCP because the upstream's UDP answer was truncated.</summary>
    public long ForwardedOverTcp => Interlocked.Read(ref _forwardedOverTcp);

    /// <summary>Forwarded queries no upstream answered in time (or at all): the client got SERVFAIL.</summary>
    public long UpstreamFailures => Interlocked.Read(ref _upstreamFailures);

    /// <summary>Upstream datagrams ignored because their id or question did not match the query (spoofing or stale replies).</summary>
    public long UpstreamMismatched => Interlocked.Read(ref _upstreamMismatched);

    /// <summary>Queries refused: nowhere to forward them (no nameservers), or a class we do not serve.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Queries answered FORMERR: unparsable question, not exactly one question, bad EDNS0, trailing bytes.</summary>
    public long FormatErrors => Interlocked.Read(ref _formatErrors);

    /// <summary>Queries answered NOTIMP: opcodes other than QUERY.</summary>
    public long NotImplemented => Interlocked.Read(ref _notImplemented);

    /// <summary>Messages dropped without a reply: shorter than a header, or responses sent to us.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>UDP queries over 512 bytes without EDNS0, or over our UDP limit with it (answered FORMERR).</summary>
    public long Oversized => Interlocked.Read(ref _oversized);

    /// <summary>Replies sent with the TC bit because they did not fit the client's UDP size.</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>Queries turned away (SERVFAIL, or a TCP client closed) because too many were in flight.</summary>
    public long Overloaded => Interlocked.Read(ref _overloaded);
}
