namespace Weft.Node.Dns;

/// <summary>One MagicDNS name and the addresses it answers with, kept in wire form so answers are plain copies.</summary>
internal sealed class DnsHost
{
    public DnsHost(string fqdn, byte[] fqdnWire, byte[] ipv4, byte[] ipv6)
    {
        Fqdn = fqdn;
        FqdnWire = fqdnWire;
        IPv4 = ipv4;
        IPv6 = ipv6;
    }

    /// <summary>Canonical name: lower case, no trailing dot.</summary>
    public string Fqdn { get; }

    /// <summary>The name in wire form, for PTR answers.</summary>
    public byte[] FqdnWire { get; }

    /// <summary>IPv4 addresses back to back, 4 bytes each.</summary>
    public byte[] IPv4 { get; }

    /// <summary>IPv6 addresses back to back, 16 bytes each.</summary>
    public byte[] IPv6 { get; }
}
