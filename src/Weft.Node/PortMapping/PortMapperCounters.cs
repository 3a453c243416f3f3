namespace Weft.Node.PortMapping;

/// <summary>What the port mapper sent and what it threw away, and why. Counters only grow.</summary>
public sealed class PortMapperCounters
{
    internal long _requests;
    internal long _foreignSource;
    internal long _wrongNonce;
    internal long _malformed;
    internal long _unexpected;
    internal long _renewals;
    internal long _renewalFailures;

    /// <summary>Request datagrams sent, retransmissions included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Datagrams from anyone but the gateway's port mapping port, ignored.</summary>
    public long ForeignSource => Interlocked.Read(ref _foreignSource);

    /// <summary>PCP answers whose nonce was not the request's, ignored.</summary>
    public long WrongNonce => Interlocked.Read(ref _wrongNonce);

    /// <summary>Datagrams from the gateway that were not a NAT-PMP/PCP answer, ignored.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Well-formed answers to something else (other opcode, protocol or port), ignored.</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>Mappings renewed before expiry.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    /// <summary>Renewals that got no usable answer.</summary>
    public long RenewalFailures => Interlocked.Read(ref _renewalFailures);
}
