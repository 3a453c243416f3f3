namespace Weft.Node.PortMapping;

/// <summary>The port mapping protocols a gateway answered (for `weft netcheck`).</summary>
[Flags]
public enum PortMappingServices
{
    /// <summary>Nothing answered.</summary>
    None = 0,

    /// <summary>NAT-PMP answered an external address request.</summary>
    NatPmp = 1,

    /// <summary>PCP answered a MAP request (a short-lived probe mapping, deleted at once).</summary>
    Pcp = 2,
}
