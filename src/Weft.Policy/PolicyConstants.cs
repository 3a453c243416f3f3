using System.Net;
using Weft.Core.Wire;

namespace Weft.Policy;

/// <summary>Names and ranges the policy language fixes, in one place.</summary>
internal static class PolicyConstants
{
    // Top-level sections (the Tailscale policy file names).
    public const string Groups = "groups";
    public const string Hosts = "hosts";
    public const string TagOwners = "tagOwners";
    public const string Acls = "acls";
    public const string Grants = "grants";
    public const string AutoApprovers = "autoApprovers";
    public const string Tests = "tests";

    /// <summary>Tailscale sections Weft does not implement yet; named in the error so authors know why.</summary>
    public static readonly string[] UnsupportedSections = ["ssh", "sshTests", "nodeAttrs", "postures", "ipsets", "derpMap", "disableIPv4", "randomizeClientPort"];

    // Target prefixes.
    public const string GroupPrefix = "group:";
    public const string TagPrefix = "tag:";
    public const string AutogroupPrefix = "autogroup:";
    public const string Wildcard = "*";

    // Autogroups.
    public const string AutogroupMember = "autogroup:member";
    public const string AutogroupTagged = "autogroup:tagged";
    public const string AutogroupSelf = "autogroup:self";
    public const string AutogroupAdmin = "autogroup:admin";
    public const string AutogroupInternet = "autogroup:internet";

    // ACL rule fields.
    public const string ActionAccept = "accept";

    /// <summary>Protocol used by a test that names none (Tailscale tests default to TCP).</summary>
    public const int DefaultTestProtocol = IpProtocol.Tcp;

    /// <summary>
    /// Protocol names accepted in "proto" and grant "ip" entries. "icmp" covers ICMPv6 as well (our choice:
    /// a rule that lets ping through should do so on both families).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, int[]> ProtocolNames = new Dictionary<string, int[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["tcp"] = [IpProtocol.Tcp],
        ["udp"] = [IpProtocol.Udp],
        ["icmp"] = [IpProtocol.Icmp, IpProtocol.IcmpV6],
        ["ipv6-icmp"] = [IpProtocol.IcmpV6],
        ["icmpv6"] = [IpProtocol.IcmpV6],
        ["igmp"] = [IpProtocol.Igmp],
        ["ipv4"] = [IpProtocol.IpInIp],
        ["ip-in-ip"] = [IpProtocol.IpInIp],
        ["egp"] = [IpProtocol.Egp],
        ["igp"] = [IpProtocol.Igp],
        ["gre"] = [IpProtocol.Gre],
        ["esp"] = [IpProtocol.Esp],
        ["ah"] = [IpProtocol.Ah],
        ["sctp"] = [IpProtocol.Sctp],
    };

    /// <summary>IPv4 ranges that are not "the internet" for autogroup:internet: this network, private, CGNAT (the tailnet), loopback, link-local, multicast and reserved.</summary>
    public static readonly IPNetwork[] NonInternetV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("224.0.0.0/3"),
    ];

    /// <summary>IPv6 "internet" for autogroup:internet: global unicast only, which leaves out ULA (the tailnet), link-local and multicast.</summary>
    public static readonly IPNetwork InternetV6 = IPNetwork.Parse("2000::/3");

    public static readonly IPNetwork AllV4 = IPNetwork.Parse("0.0.0.0/0");
    public static readonly IPNetwork AllV6 = IPNetwork.Parse("::/0");
}
