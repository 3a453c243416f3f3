using System.Net;

namespace Weft.Node.PortMapping;

/// <summary>
/// A decoded NAT-PMP or PCP answer: the result code (0 is success), the gateway's epoch (seconds since its
/// mapping table started; a drop means it rebooted and lost our mapping), and, per opcode, the external
/// address and/or the mapped ports and lifetime. For PCP, <see cref="Nonce"/> echoes the request's.
/// </summary>
public sealed record PortMappingResponse(
    PortMappingProtocol Protocol,
    byte Opcode,
    ushort ResultCode,
    uint Epoch,
    IPAddress? ExternalAddress,
    ushort InternalPort,
    ushort ExternalPort,
    uint LifetimeSeconds,
    ReadOnlyMemory<byte> Nonce)
{
    /// <summary>True when the gateway granted the request.</summary>
    public bool Succeeded => ResultCode == 0;
}
