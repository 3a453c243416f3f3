using System.Globalization;
using System.Security.Cryptography;

namespace Weft.Lab;

/// <summary>
/// One run's set of network namespaces, links and processes, all named with a prefix unique to the
/// run (`wl` + 6 hex digits). Disposing deletes everything even when the test failed; creating a lab
/// first sweeps what crashed earlier runs left behind.
/// </summary>
public sealed class NetworkLab : IAsyncDisposable
{
    // _gate guards the lists below.
    private readonly Lock _gate = new();
    private readonly List<LabNamespace> _namespaces = [];
    private readonly List<LabProcess> _processes = [];
    private readonly Action<string> _log;
    private int _links;
    private bool _disposed;

    private NetworkLab(string prefix, Action<string> log)
    {
        Prefix = prefix;
        _log = log;
    }

    /// <summary>The run's unique prefix, e.g. "wl3fa09c"; namespaces are PREFIX-suffix, interfaces PREFIX+suffix.</summary>
    public string Prefix { get; }

    /// <summary>Sweeps stale labs, then claims a fresh prefix for this run.</summary>
    public static async Task<NetworkLab> CreateAsync(Action<string>? log = null)
    {
        log ??= static _ => { };
        var swept = await LabSweeper.SweepStaleAsync().ConfigureAwait(false);
        if (swept.Count > 0)
        {
            log($"lab: swept stale labs {string.Join(", ", swept)}");
        }
        var prefix = LabConstants.NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        LabOwner.Claim(prefix);
        log($"lab: prefix {prefix}");
        return new NetworkLab(prefix, log);
    }

    /// <summary>An interface name unique to this run: the prefix followed by <paramref name="suffix"/> (at most 15 characters in all).</summary>
    public string InterfaceName(string suffix)
    {
        var name = Prefix + suffix;
        if (name.Length > LabConstants.MaxInterfaceNameLength)
        {
            throw new ArgumentException($"interface name {name} is longer than {LabConstants.MaxInterfaceNameLength} characters", nameof(suffix));
        }
        return name;
    }

    /// <summary>Creates namespace PREFIX-<paramref name="suffix"/> with its loopback up.</summary>
    public async Task<LabNamespace> AddNamespaceAsync(string suffix)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var ns = new LabNamespace(this, $"{Prefix}-{suffix}");
        await Command.RunCheckedAsync(["ip", "netns", "add", ns.Name]).ConfigureAwait(false);
        lock (_gate)
        {
            _namespaces.Add(ns);
        }
        await ns.SetLinkUpAsync("lo").ConfigureAwait(false);
        return ns;
    }

    /// <summary>
    /// Joins two namespaces with a veth pair, up, addressed 10.200.N.1/24 + fd00:200:N::1/64 on
    /// <paramref name="a"/> and .2 / ::2 on <paramref name="b"/>, N counting links of this lab from 0.
    /// </summary>
    public async Task<VethLink> ConnectAsync(LabNamespace a, LabNamespace b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var n = Interlocked.Increment(ref _links) - 1;
        var number = n.ToString(CultureInfo.InvariantCulture);
        var aName = InterfaceName("v" + number + "a");
        var bName = InterfaceName("v" + number + "b");
        await Command.RunCheckedAsync(["ip", "link", "add", aName, "netns", a.Name, "type", "veth", "peer", "name", bName, "netns", b.Name]).ConfigureAwait(false);
        var link = new VethLink(
            a, aName, $"10.200.{number}.1", $"fd00:200:{number}::1",
            b, bName, $"10.200.{number}.2", $"fd00:200:{number}::2");
        await a.AddAddressAsync(aName, link.AIPv4 + "/24").ConfigureAwait(false);
        await a.AddAddressAsync(aName, link.AIPv6 + "/64").ConfigureAwait(false);
        await b.AddAddressAsync(bName, link.BIPv4 + "/24").ConfigureAwait(false);
        await b.AddAddressAsync(bName, link.BIPv6 + "/64").ConfigureAwait(false);
        await a.SetLinkUpAsync(aName).ConfigureAwait(false);
        await b.SetLinkUpAsync(bName).ConfigureAwait(false);
        return link;
    }

    /// <summary>Writes a line to the test's log.</summary>
    public void Log(string message) => _log(message);

    /// <summary>Stops every process started through the lab, kills stragglers in its namespaces, deletes the namespaces, sockets and owner marker.</summary>
    public async ValueTask DisposeAsync()
    {
        LabProcess[] processes;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            processes = [.. _processes];
        }
        foreach (var process in processes)
        {
            try
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is LabException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                _log($"lab: stopping `{process.CommandLine}` failed: {e.Message}");
            }
        }
        await LabSweeper.RemoveAsync(Prefix).ConfigureAwait(false);
        _log($"lab: removed {Prefix}");
    }

    internal void Track(LabProcess process)
    {
        lock (_gate)
        {
            _processes.Add(process);
        }
    }
}
