using System.Diagnostics;
using System.Globalization;

namespace Weft.Lab.Tailnet;

/// <summary>
/// A `weft daemon` running inside a namespace with its own state directory, local API socket and TUN
/// name; stopped gracefully or killed with -9, and restarted on the same state (same identity and addresses).
/// </summary>
public sealed class NodeDaemon : IAsyncDisposable
{
    /// <summary>What `weft daemon` prints once its local API answers.</summary>
    public const string ReadyLine = "weft daemon ready";

    private readonly IReadOnlyList<string> _extraArguments;

    private NodeDaemon(LabNamespace ns, string stateDir, string socketPath, string tun, IReadOnlyList<string> extraArguments, LabProcess process)
    {
        Namespace = ns;
        StateDir = stateDir;
        SocketPath = socketPath;
        Tun = tun;
        _extraArguments = extraArguments;
        Process = process;
    }

    /// <summary>The namespace the daemon runs in.</summary>
    public LabNamespace Namespace { get; }

    /// <summary>The daemon's state directory (keys, prefs, cached netmap).</summary>
    public string StateDir { get; }

    /// <summary>The local API socket; pass it to `weft --socket PATH ...`.</summary>
    public string SocketPath { get; }

    /// <summary>The TUN interface name.</summary>
    public string Tun { get; }

    /// <summary>The current daemon process (a new one after <see cref="RestartAsync"/>).</summary>
    public LabProcess Process { get; private set; }

    /// <summary>
    /// Starts `weft daemon --state-dir DIR --socket PATH --tun NAME --port 0 --verbose [extra]` in <paramref name="ns"/>
    /// and waits until its local API listens.
    /// </summary>
    public static async Task<NodeDaemon> StartAsync(LabNamespace ns, string stateDir, string socketPath, string tun, IReadOnlyList<string>? extraArguments = null)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var extra = extraArguments ?? [];
        var process = await LaunchAsync(ns, stateDir, socketPath, tun, extra).ConfigureAwait(false);
        return new NodeDaemon(ns, stateDir, socketPath, tun, extra, process);
    }

    /// <summary>Runs a CLI command against this daemon: `weft --socket PATH ARGS...` inside the namespace.</summary>
    public Task<CommandResult> CliAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null) =>
        Namespace.TryExecAsync([WeftExecutable.Find(), "--socket", SocketPath, .. arguments], timeout: timeout);

    /// <summary>SIGTERM (the daemon removes its addresses, routes and socket), then SIGKILL after the grace period.</summary>
    public Task<bool> StopAsync() => Process.StopAsync();

    /// <summary>SIGKILL at once, as a crash would; nothing is cleaned up.</summary>
    public Task KillAsync() => TailnetProcesses.KillAsync(Process);

    /// <summary>Stops the daemon if it runs (gracefully) and starts it again on the same state, socket and TUN.</summary>
    public async Task RestartAsync()
    {
        await Process.DisposeAsync().ConfigureAwait(false);
        Process = await LaunchAsync(Namespace, StateDir, SocketPath, Tun, _extraArguments).ConfigureAwait(false);
    }

    /// <summary>Stops the daemon.</summary>
    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => $"weft daemon {Tun} in {Namespace.Name}";

    private static async Task<LabProcess> LaunchAsync(LabNamespace ns, string stateDir, string socketPath, string tun, IReadOnlyList<string> extra)
    {
        // A kill -9 leaves the old TUN behind until the kernel reaps the process's descriptors; the new daemon
        // recreates it, so only wait for the previous process to be gone (done by the caller).
        List<string> command = [WeftExecutable.Find(), "daemon", "--state-dir", stateDir, "--socket", socketPath, "--tun", tun, "--port", "0", "--verbose"];
        command.AddRange(extra);
        var process = ns.Start(command);
        await process.WaitForOutputAsync(ReadyLine, LabConstants.StartupTimeout).ConfigureAwait(false);
        return process;
    }
}

/// <summary>Process helpers shared by the tailnet wrappers.</summary>
internal static class TailnetProcesses
{
    /// <summary>Sends SIGKILL and waits until the process has exited.</summary>
    public static async Task KillAsync(LabProcess process)
    {
        if (process.HasExited)
        {
            return;
        }
        if (Interop.Libc.kill(process.Id, Interop.Libc.SIGKILL) != 0 && !process.HasExited)
        {
            throw new LabException(string.Create(CultureInfo.InvariantCulture, $"kill(SIGKILL) of {process.Id} (`{process.CommandLine}`) failed"));
        }
        var clock = Stopwatch.StartNew();
        if (!await process.WaitForExitAsync(LabConstants.StopGrace).ConfigureAwait(false))
        {
            throw new LabException($"`{process.CommandLine}` still runs {clock.Elapsed.TotalSeconds:F1} s after SIGKILL");
        }
    }
}
