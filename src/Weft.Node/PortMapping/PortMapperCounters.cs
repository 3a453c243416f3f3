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
    internal long _upnpRequests;
    internal long _upnpMalformed;
    internal long _upnpFaults;
    internal long _upnpRefused;

    /// <summary>NAT-PMP/PCP request datagrams sent, retransmissions included.</summary>
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

    /// <summary>UPnP traffic sent: SSDP search datagrams (retransmissions included) and HTTP requests.</summary>
    public long UpnpRequests => Interlocked.Read(ref _upnpRequests);

    /// <summary>SSDP answers and HTTP bodies that did not parse, were too large or lacked what the protocol requires.</summary>
    public long UpnpMalformed => Interlocked.Read(ref _upnpMalformed);

    /// <summary>SOAP faults the gateway answered (e.g. 718 ConflictInEntry).</summary>
    public long UpnpFaults => Interlocked.Read(ref _upnpFaults);

    /// <summary>SSDP answers pointing somewhere we do not go (not a LAN address, or not the answering device), ignored.</summary>
    public long UpnpRefused => Interlocked.Read(ref _upnpRefused);
}
