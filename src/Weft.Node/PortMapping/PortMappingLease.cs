using System.Net;

namespace Weft.Node.PortMapping;

/// <summary>A mapping the gateway granted: the public endpoint peers can send to, until <see cref="Expires"/> unless renewed.</summary>
public sealed record PortMappingLease(
    PortMappingProtocol Protocol,
    IPEndPoint External,
    ushort InternalPort,
    TimeSpan Lifetime,
    DateTimeOffset Expires,
    uint Epoch);
