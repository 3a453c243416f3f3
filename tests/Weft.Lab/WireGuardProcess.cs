using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Weft.Lab;

/// <summary>
/// A userspace WireGuard interface (wireguard-go or `weft wireguard`) running in the foreground inside a
/// namespace, configured the way an operator would: through its UAPI socket with `wg` and with `ip`.
/// </summary>
public sealed class WireGuardProcess : IAsyncDisposable
{
    private WireGuardProcess(LabNamespace ns, WireGuardKind kind, string iface, LabProcess process)
    {
        Namespace = ns;
        Kind = kind;
        Interface = iface;
        Process = process;
    }

    /// <summary>The namespace the interface lives in.</summary>
    public LabNamespace Namespace { get; }

    /// <summary>Which implementation runs it.</summary>
    public WireGuardKind Kind { get; }

    /// <summary>The interface name (unique per run: UAPI sockets of all namespaces share one directory).</summary>
    public string Interface { get; }

    /// <summary>The running implementation.</summary>
    public LabProcess Process { get; }

    /// <summary>The UAPI socket path, /var/run/wireguard/IFACE.sock.</summary>
    public string SocketPath => SocketPathOf(Interface);

    /// <summary>The key pair set with <see cref="ConfigureAsync"/>, if any.</summary>
    public WireGuardKeyPair? Keys { get; private set; }

    /// <summary>The UAPI socket path of an interface.</summary>
    public static string SocketPathOf(string iface) => Path.Combine(LabConstants.UapiDirectory, iface + ".sock");

    /// <summary>
    /// Starts <paramref name="kind"/> in the foreground (`wireguard-go -f IFACE` or `weft wireguard -f IFACE`)
    /// and waits for its UAPI socket; fails with the process output if it exits or never creates it.
    /// </summary>
    public static async Task<WireGuardProcess> StartAsync(
        LabNamespace ns,
        WireGuardKind kind,
        string iface,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] command;
        if (kind == WireGuardKind.WireGuardGo)
        {
            env["LOG_LEVEL"] = "verbose";
            command = ["wireguard-go", "-f", iface];
        }
        else
        {
            command = [WeftExecutable.Find(), "wireguard", "-f", iface];
        }
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                env[name] = value;
            }
        }
        var process = ns.Start(command, env);
        var wg = new WireGuardProcess(ns, kind, iface, process);
        await wg.WaitForSocketAsync(present: true, LabConstants.StartupTimeout).ConfigureAwait(false);
        return wg;
    }

    /// <summary>Sets the private key and listen port with `wg set` (the key goes through stdin, never a file or argv).</summary>
    public async Task ConfigureAsync(WireGuardKeyPair keys, int listenPort)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await Namespace.ExecAsync(
            ["wg", "set", Interface, "private-key", "/dev/stdin", "listen-port", listenPort.ToString(CultureInfo.InvariantCulture)],
            keys.PrivateKey + "\n").ConfigureAwait(false);
        Keys = keys;
    }

    /// <summary>Adds a peer with `wg set IFACE peer KEY allowed-ips ... [endpoint ...] [persistent-keepalive ...]`.</summary>
    public Task AddPeerAsync(string publicKey, string allowedIps, IPEndPoint? endpoint = null, int? persistentKeepalive = null)
    {
        List<string> args = ["wg", "set", Interface, "peer", publicKey, "allowed-ips", allowedIps];
        if (endpoint is not null)
        {
            args.Add("endpoint");
            args.Add(endpoint.ToString());
        }
        if (persistentKeepalive is { } seconds)
        {
            args.Add("persistent-keepalive");
            args.Add(seconds.ToString(CultureInfo.InvariantCulture));
        }
        return Namespace.ExecAsync(args);
    }

    /// <summary>Gives the interface its tunnel addresses and brings it up.</summary>
    public async Task AddAddressesAndUpAsync(params string[] cidrs)
    {
        ArgumentNullException.ThrowIfNull(cidrs);
        foreach (var cidr in cidrs)
        {
            await Namespace.AddAddressAsync(Interface, cidr).ConfigureAwait(false);
        }
        await Namespace.SetLinkUpAsync(Interface).ConfigureAwait(false);
    }

    /// <summary>`wg show IFACE dump`, parsed.</summary>
    public async Task<WgDump> ShowDumpAsync()
    {
        var result = await Namespace.ExecAsync(["wg", "show", Interface, "dump"]).ConfigureAwait(false);
        return WgDump.Parse(result.StandardOutput);
    }

    /// <summary>`wg show IFACE` in its human form, for logs and failure messages.</summary>
    public async Task<string> ShowAsync()
    {
        var result = await Namespace.TryExecAsync(["wg", "show", Interface]).ConfigureAwait(false);
        return result.StandardOutput + result.StandardError;
    }

    /// <summary>Waits until the UAPI socket exists (<paramref name="present"/>) or is gone; fails with the process output at the hang guard.</summary>
    public async Task WaitForSocketAsync(bool present, TimeSpan hangGuard)
    {
        var clock = Stopwatch.StartNew();
        while (File.Exists(SocketPath) != present)
        {
            if (present && Process.HasExited)
            {
                throw new LabException($"`{Process.CommandLine}` exited with {Process.ExitCode} before creating {SocketPath}; output: {Process.Output}");
            }
            if (clock.Elapsed > hangGuard)
            {
                throw new LabException($"{SocketPath} still {(present ? "missing" : "present")} after {hangGuard.TotalSeconds} s; output of `{Process.CommandLine}`: {Process.Output}");
            }
            // Polling the file system: the socket has no other event to wait on.
            await Task.Delay(LabConstants.PollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the implementation (SIGTERM, then kill).</summary>
    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Interface} in {Namespace.Name}";
}
