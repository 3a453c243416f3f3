namespace Weft.Node.PortMapping;

/// <summary>A set of port mapping protocols: those a gateway answered (for `weft netcheck`), or those a mapper may use.</summary>
[Flags]
public enum PortMappingServices
{
    /// <summary>Nothing answered.</summary>
    None = 0,

    /// <summary>NAT-PMP answered an external address request.</summary>
    NatPmp = 1,

    /// <summary>PCP answered a MAP request (a short-lived probe mapping, deleted at once).</summary>
    Pcp = 2,

    /// <summary>A UPnP IGD answered SSDP and described a WANIPConnection/WANPPPConnection service (nothing mapped).</summary>
    Upnp = 4,

    /// <summary>Every protocol the mapper speaks.</summary>
    All = NatPmp | Pcp | Upnp,
}
