namespace Weft.Lab.Tailnet;

/// <summary>
/// A `weft control` coordination server running inside a namespace with its own data directory and
/// listen URL; stopped gracefully or killed, and restarted on the same data (same server key and nodes).
/// </summary>
public sealed class ControlProcess : IAsyncDisposable
{
    /// <summary>What `weft control` prints once it accepts connections.</summary>
    public const string ReadyLine = "weft control listening on";

    private readonly IReadOnlyList<string> _extraArguments;

    private ControlProcess(LabNamespace ns, string dataDir, string listenUrl, IReadOnlyList<string> extraArguments, LabProcess process)
    {
        _extraArguments = extraArguments;
        Namespace = ns;
        DataDir = dataDir;
        ListenUrl = listenUrl;
        Process = process;
    }

    /// <summary>The namespace the server runs in.</summary>
    public LabNamespace Namespace { get; }

    /// <summary>The server's data directory (database and server key).</summary>
    public string DataDir { get; }

    /// <summary>The URL the server listens on and nodes log in to, e.g. http://10.0.0.1:8080.</summary>
    public string ListenUrl { get; }

    /// <summary>The current server process (a new one after <see cref="RestartAsync"/>).</summary>
    public LabProcess Process { get; private set; }

    /// <summary>Starts `weft control --data-dir DIR --listen URL` in <paramref name="ns"/> and waits until it listens.</summary>
    public static async Task<ControlProcess> StartAsync(LabNamespace ns, string dataDir, string listenUrl, IReadOnlyList<string>? extraArguments = null)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var extra = extraArguments ?? [];
        var process = await LaunchAsync(ns, dataDir, listenUrl, extra).ConfigureAwait(false);
        return new ControlProcess(ns, dataDir, listenUrl, extra, process);
    }

    /// <summary>
    /// Runs an admin command against this server with the owner's API key from the data directory:
    /// ["keys", "create", ...] becomes `weft control keys create ... --server URL --api-key-file DIR/owner-api-key`.
    /// </summary>
    public Task<CommandResult> AdminAsync(IReadOnlyList<string> arguments) =>
        Namespace.TryExecAsync([WeftExecutable.Find(), "control", .. arguments, "--server", ListenUrl, "--api-key-file", Path.Combine(DataDir, "owner-api-key")]);

    /// <summary>SIGTERM, then SIGKILL after the grace period; true when SIGTERM was enough.</summary>
    public Task<bool> StopAsync() => Process.StopAsync();

    /// <summary>SIGKILL at once, as a crash would, and waits for the process to be gone.</summary>
    public Task KillAsync() => TailnetProcesses.KillAsync(Process);

    /// <summary>Stops the server if it runs (gracefully) and starts it again on the same data directory and URL.</summary>
    public async Task RestartAsync()
    {
        await Process.DisposeAsync().ConfigureAwait(false);
        Process = await LaunchAsync(Namespace, DataDir, ListenUrl, _extraArguments).ConfigureAwait(false);
    }

    /// <summary>Stops the server.</summary>
    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => $"weft control {ListenUrl} in {Namespace.Name}";

    private static async Task<LabProcess> LaunchAsync(LabNamespace ns, string dataDir, string listenUrl, IReadOnlyList<string> extraArguments)
    {
        List<string> command = [WeftExecutable.Find(), "control", "--data-dir", dataDir, "--listen", listenUrl, .. extraArguments];
        var process = ns.Start(command);
        await process.WaitForOutputAsync(ReadyLine, LabConstants.StartupTimeout).ConfigureAwait(false);
        return process;
    }
}
