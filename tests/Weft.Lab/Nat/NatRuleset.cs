namespace Weft.Lab.Nat;

/// <summary>The nftables rulesets a lab router loads for each <see cref="NatKind"/>.</summary>
public static class NatRuleset
{
    /// <summary>miniupnpd's table (inet family), where it adds filter and DNAT rules for its mappings.</summary>
    public const string UpnpTable = "miniupnpd";

    /// <summary>The ruleset for a router with WAN interface <paramref name="wan"/> and LAN <paramref name="lan"/>.</summary>
    public static string For(NatKind kind, string wan, string lan)
    {
        // Masquerade without flags keeps the inside source port when it is free: one socket, one outside
        // port for every destination (endpoint-independent). `random` draws a fresh port per conntrack
        // entry, i.e. per destination (endpoint-dependent, "symmetric").
        var masquerade = kind == NatKind.Hard ? "masquerade random" : "masquerade";
        var dropUdp = kind == NatKind.UdpBlocked ? $"iifname \"{lan}\" meta l4proto udp counter drop" : "";
        var upnpJump = kind == NatKind.Upnp ? "jump miniupnpd" : "";
        var upnpNatJump = kind == NatKind.Upnp ? "jump prerouting_miniupnpd" : "";
        var upnpPostJump = kind == NatKind.Upnp ? "jump postrouting_miniupnpd" : "";
        // One inet table named like miniupnpd's default so its nftables backend finds the chains it expects.
        return $$"""
            table inet {{UpnpTable}} {
                chain forward {
                    type filter hook forward priority 0; policy drop;
                    ct state established,related accept
                    {{dropUdp}}
                    iifname "{{lan}}" oifname "{{wan}}" accept
                    {{upnpJump}}
                }
                chain miniupnpd {
                }
                chain prerouting {
                    type nat hook prerouting priority -100; policy accept;
                    {{upnpNatJump}}
                }
                chain prerouting_miniupnpd {
                }
                chain postrouting {
                    type nat hook postrouting priority 100; policy accept;
                    {{upnpPostJump}}
                    oifname "{{wan}}" {{masquerade}}
                }
                chain postrouting_miniupnpd {
                }
            }
            """;
    }
}
