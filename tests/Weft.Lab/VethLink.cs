namespace Weft.Lab;

/// <summary>A veth pair joining two namespaces, with the IPv4 /24 and IPv6 /64 addresses given to each end.</summary>
public sealed record VethLink(
    LabNamespace A,
    string AInterface,
    string AIPv4,
    string AIPv6,
    LabNamespace B,
    string BInterface,
    string BIPv4,
    string BIPv6);
