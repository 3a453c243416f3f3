using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Weft.Node.Os;

/// <summary>
/// The TUN interface's side in the OS: link up with the tailnet MTU, the node's addresses (and MagicDNS's),
/// and routes to the tailnet ranges, changed incrementally with iproute2. Removing the TUN removes all of
/// it, so cleanup on exit is closing the TUN; <see cref="ClearAsync"/> exists for `down` while it stays.
/// </summary>
public sealed partial class OsNetwork(string interfaceName, ILogger logger)
{
    /// <summary>Our choice, as Tailscale's: 1280 is IPv6's minimum MTU and leaves room for WireGuard and relay headers on any path.</summary>
    public const int TailnetMtu = 1280;

    private readonly HashSet<IPNetwork> _addresses = [];
    private readonly HashSet<IPNetwork> _routes = [];

    /// <summary>The interface configured.</summary>
    public string InterfaceName { get; } = interfaceName;

    /// <summary>Sets the MTU and brings the link up.</summary>
    public Task BringUpAsync(CancellationToken ct) =>
        RunCheckedAsync(["link", "set", "dev", InterfaceName, "mtu", TailnetMtu.ToString(CultureInfo.InvariantCulture), "up"], ct);

    /// <summary>Makes the interface carry exactly <paramref name="wanted"/> (besides what others added); returns whether anything changed.</summary>
    public async Task<bool> SetAddressesAsync(IReadOnlyCollection<IPNetwork> wanted, CancellationToken ct)
    {
        var changed = false;
        foreach (var address in _addresses.Where(a => !wanted.Contains(a)).ToList())
        {
            await RunTolerantAsync(["addr", "del", address.ToString(), "dev", InterfaceName], ct).ConfigureAwait(false);
            _addresses.Remove(address);
            changed = true;
        }
        foreach (var address in wanted)
        {
            if (_addresses.Contains(address))
            {
                continue;
            }
            // nodad: a tailnet address is unique by construction, and duplicate detection would keep it unusable for a second.
            List<string> args = address.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? ["-6", "addr", "add", address.ToString(), "dev", InterfaceName, "nodad"]
                : ["addr", "add", address.ToString(), "dev", InterfaceName];
            await RunTolerantAsync(args, ct).ConfigureAwait(false);
            _addresses.Add(address);
            changed = true;
        }
        return changed;
    }

    /// <summary>Routes exactly <paramref name="wanted"/> through the interface; returns whether anything changed.</summary>
    public async Task<bool> SetRoutesAsync(IReadOnlyCollection<IPNetwork> wanted, CancellationToken ct)
    {
        var changed = false;
        foreach (var route in _routes.Where(r => !wanted.Contains(r)).ToList())
        {
            await RunTolerantAsync([Family(route), "route", "del", route.ToString(), "dev", InterfaceName], ct).ConfigureAwait(false);
            _routes.Remove(route);
            changed = true;
        }
        foreach (var route in wanted)
        {
            if (_routes.Contains(route))
            {
                continue;
            }
            // replace, not add: a route left by a daemon killed with -9 must not make this one fail.
            await RunTolerantAsync([Family(route), "route", "replace", route.ToString(), "dev", InterfaceName], ct).ConfigureAwait(false);
            _routes.Add(route);
            changed = true;
        }
        return changed;
    }

    /// <summary>Removes every address and route this instance added (the TUN stays).</summary>
    public async Task ClearAsync(CancellationToken ct)
    {
        await SetRoutesAsync([], ct).ConfigureAwait(false);
        await SetAddressesAsync([], ct).ConfigureAwait(false);
    }

    /// <summary>Forgets what was applied without touching the OS (the TUN was recreated, so it holds nothing).</summary>
    public void Forget()
    {
        _addresses.Clear();
        _routes.Clear();
    }

    private static string Family(IPNetwork network) =>
        network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "-6" : "-4";

    private async Task RunCheckedAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var (exit, error) = await IpCommand.RunAsync(arguments, ct).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new IOException($"`ip {string.Join(' ', arguments)}` failed: {error}");
        }
    }

    /// <summary>Runs `ip`; "exists" and "not found" answers mean the OS is already as wanted, other failures are logged.</summary>
    private async Task RunTolerantAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var (exit, error) = await IpCommand.RunAsync(arguments, ct).ConfigureAwait(false);
        if (exit != 0 && !error.Contains("File exists", StringComparison.Ordinal) && !error.Contains("Cannot assign", StringComparison.Ordinal)
            && !error.Contains("No such process", StringComparison.Ordinal))
        {
            LogIpFailed(logger, string.Join(' ', arguments), error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "`ip {Arguments}` failed: {Error}")]
    private static partial void LogIpFailed(ILogger logger, string arguments, string error);
}
