using System.Globalization;

namespace Weft.Lab.Nat;

/// <summary>
/// Runs Debian's miniupnpd (nftables build) on a <see cref="NatKind.Upnp"/> site's router: UPnP IGD on the
/// LAN bridge plus NAT-PMP/PCP on port 5351, mapping to the WAN interface through the router's inet table.
/// </summary>
public static class MiniUpnpd
{
    /// <summary>The program the lab runs; <see cref="LabRequirements.FindOnPath"/> finds it in /usr/sbin.</summary>
    public const string Program = "miniupnpd";

    /// <summary>Hang guard for miniupnpd to open its sockets. Our choice: generous, it only bounds a broken run.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Writes a configuration for <paramref name="site"/> into a fresh temporary directory and starts miniupnpd in the foreground.</summary>
    public static async Task<LabProcess> StartAsync(NatSite site)
    {
        ArgumentNullException.ThrowIfNull(site);
        var program = LabRequirements.FindOnPath(Program) ?? throw new LabException("miniupnpd is not installed (Debian package miniupnpd-nftables)");
        var directory = Directory.CreateTempSubdirectory("weft-lab-miniupnpd-");
        var lanPrefix = site.LanAddress[..site.LanAddress.LastIndexOf('.')] + ".0/24";
        var configuration = string.Create(CultureInfo.InvariantCulture, $"""
            ext_ifname={site.WanInterface}
            listening_ip={site.LanInterface}
            http_port=0
            enable_natpmp=yes
            enable_upnp=yes
            secure_mode=yes
            system_uptime=yes
            uuid={Guid.NewGuid()}
            upnp_table_name={NatRuleset.UpnpTable}
            upnp_nat_table_name={NatRuleset.UpnpTable}
            upnp_forward_chain=miniupnpd
            upnp_nat_chain=prerouting_miniupnpd
            upnp_nat_postrouting_chain=postrouting_miniupnpd
            allow 1024-65535 {lanPrefix} 1024-65535
            deny 0-65535 0.0.0.0/0 0-65535

            """);
        var path = Path.Combine(directory.FullName, "miniupnpd.conf");
        await File.WriteAllTextAsync(path, configuration).ConfigureAwait(false);
        // -d: foreground with logs on stderr; -P: a pid file of our own, so parallel labs do not collide.
        var process = site.Router.Start([program, "-d", "-f", path, "-P", Path.Combine(directory.FullName, "pid")]);
        try
        {
            await process.WaitForOutputAsync("Listening for NAT-PMP", StartupTimeout).ConfigureAwait(false);
        }
        finally
        {
            // miniupnpd has read its configuration and written its pid by now; leave nothing behind in /tmp.
            directory.Delete(recursive: true);
        }
        return process;
    }
}
