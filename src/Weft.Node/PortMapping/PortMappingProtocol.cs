namespace Weft.Node.PortMapping;

/// <summary>Which router protocol produced a port mapping.</summary>
public enum PortMappingProtocol
{
    /// <summary>NAT-PMP (RFC 6886), version 0 on UDP port 5351.</summary>
    NatPmp,

    /// <summary>PCP (RFC 6887), version 2 on UDP port 5351, MAP opcode.</summary>
    Pcp,

    /// <summary>UPnP Internet Gateway Device: SSDP discovery, then SOAP AddPortMapping on the WAN*Connection service.</summary>
    Upnp,
}
