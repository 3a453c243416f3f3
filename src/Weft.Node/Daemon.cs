using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Core.Keys;
using Weft.Node.ControlLoop;
using Weft.Node.Engine;
using Weft.Node.LocalApi;
using Weft.Node.State;

namespace Weft.Node;

/// <summary>
/// The node daemon's composition: state directory, data plane (TUN + WireGuard + OS addresses and routes),
/// control loop per profile, and the local API that drives them. One per device.
/// </summary>
/// <remarks>
/// Locks: <see cref="_lock"/> guards the in-memory fields marked below (short sections, no awaits);
/// <see cref="_opGate"/> serialises everything that changes the engine, the OS or the control loop
/// (API operations and netmap application), so they never interleave.
/// </remarks>
public sealed partial class Daemon : IAsyncDisposable
{
    private readonly DaemonOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly SemaphoreSlim _opGate = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly LocalApiAuthorizer _authorizer;
    private StateStore _store = null!;
    private FileStream? _stateLock;
    private LocalApiServer? _api;
    private Task? _engineWatch;

    // _lock guards the fields below.
    private readonly Lock _lock = new();
    private PersistedState _state = new();
    private EngineHost? _engine;
    private Netmap? _netmap;
    private string? _authUrl;
    private string? _registrationError;
    private string? _controlError;
    private bool _controlConnected;
    private string? _engineError;
    private LoopRun? _loop;

    private long _malformedMaps;
    private string? _latestClientVersion;

    public Daemon(DaemonOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<Daemon>();
        _time = time ?? TimeProvider.System;
        uint? operatorUid = null;
        if (options.OperatorUser is { } user)
        {
            operatorUid = LocalApiAuthorizer.LookupUid(user) ?? throw new ArgumentException($"--operator {user}: no such user");
        }
        _authorizer = new LocalApiAuthorizer(Weft.Node.Interop.Libc.getuid(), operatorUid);
    }

    /// <summary>Map messages refused as malformed since the start.</summary>
    public long MalformedMaps => Interlocked.Read(ref _malformedMaps);

    /// <summary>
    /// Opens the state, starts the data plane and the local API, and resumes the current profile (from its
    /// cached netmap at once, then from the server) when it was running.
    /// </summary>
    /// <exception cref="IOException">The state directory is in use by another daemon, or the TUN or socket cannot be created.</exception>
    /// <exception cref="InvalidDataException">A state file is unreadable.</exception>
    public async Task StartAsync(CancellationToken ct)
    {
        _store = StateStore.Open(_options.StateDir, _logger);
        _stateLock = LockStateDirectory(_options.StateDir);
        var state = _store.Load();
        if (_options.OperatorUser is { } operatorUser)
        {
            state = WithCurrentPrefs(state, p => p with { OperatorUser = operatorUser });
            _store.Save(state);
        }
        else if (CurrentProfile(state)?.Prefs.OperatorUser is { } saved)
        {
            _authorizer.SetOperator(LocalApiAuthorizer.LookupUid(saved));
        }
        lock (_lock)
        {
            _state = state;
        }

        var profile = CurrentProfile(state);
        var engine = await StartEngineAsync(profile, ct).ConfigureAwait(false);
        lock (_lock)
        {
            _engine = engine;
        }
        _engineWatch = WatchEngineAsync(engine);
        LogEngineStarted(_logger, _options.TunName, engine.Device.ListenPort);

        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (profile is { Registered: true, Prefs.WantRunning: true } && _store.LoadNetmap(profile.Id) is { } cached)
            {
                try
                {
                    var netmap = Netmap.FromFull(cached);
                    lock (_lock)
                    {
                        _netmap = netmap;
                    }
                    // The data plane runs on the last netmap at once: peers stay reachable while the server is down.
                    await ApplyNetmapLockedAsync(netmap, NetmapChanges.All, ct).ConfigureAwait(false);
                    LogResumedFromCache(_logger, netmap.Peers.Count);
                    NudgePeers(netmap);
                }
                catch (NetmapException ex)
                {
                    LogCacheUnusable(_logger, ex.Message);
                }
            }
            if (profile is { Prefs.WantRunning: true, Prefs.LoginServer: not null } && (profile.Registered))
            {
                StartLoopLocked(profile, authKey: null);
            }
        }
        finally
        {
            _opGate.Release();
        }

        _api = await LocalApiServer.StartAsync(_options.SocketPath, this, _authorizer, _loggers.CreateLogger<LocalApiServer>(), ct).ConfigureAwait(false);
    }

    /// <summary>Stops the control loop, restores DNS, closes the local API and the TUN (taking addresses and routes with it).</summary>
    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await StopLoopAsync().ConfigureAwait(false);
        await StopIntegrationsAsync().ConfigureAwait(false);
        if (_api is not null)
        {
            await _api.DisposeAsync().ConfigureAwait(false);
        }
        EngineHost? engine;
        lock (_lock)
        {
            engine = _engine;
            _engine = null;
        }
        engine?.Dispose();
        if (_engineWatch is not null)
        {
            await _engineWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _filter?.Dispose();
        _stateLock?.Dispose();
        _http.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>
    /// A second daemon on the same state would fight over keys and the TUN: hold an exclusive lock file
    /// (the kernel drops it when the process dies, even by kill -9).
    /// </summary>
    private static FileStream LockStateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the node daemon runs on Linux");
        }
        try
        {
            return new FileStream(Path.Combine(directory, "daemon.lock"), new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = AtomicFile.PrivateFile,
            });
        }
        catch (IOException ex)
        {
            throw new IOException($"state directory {directory} is in use by another weft daemon ({ex.Message})", ex);
        }
    }

    /// <summary>Watches for the TUN disappearing; then builds a new data plane on the same netmap.</summary>
    private async Task WatchEngineAsync(EngineHost engine)
    {
        while (true)
        {
            try
            {
                await engine.Closed.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogEngineFailed(_logger, ex.Message);
            }
            if (_shutdown.IsCancellationRequested)
            {
                return;
            }
            var reason = $"TUN {_options.TunName} disappeared; recreating it";
            LogTunGone(_logger, _options.TunName);
            lock (_lock)
            {
                _engineError = reason;
            }
            var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
            while (true)
            {
                try
                {
                    await backoff.DelayAsync(_time, _shutdown.Token).ConfigureAwait(false);
                    engine = await RecreateEngineAsync(engine).ConfigureAwait(false);
                    break;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (IOException ex)
                {
                    LogEngineFailed(_logger, ex.Message);
                    lock (_lock)
                    {
                        _engineError = $"TUN {_options.TunName} disappeared and cannot be recreated: {ex.Message}";
                    }
                }
            }
        }
    }

    private async Task<EngineHost> RecreateEngineAsync(EngineHost old)
    {
        await _opGate.WaitAsync(_shutdown.Token).ConfigureAwait(false);
        try
        {
            old.Dispose();
            ProfileState? profile;
            lock (_lock)
            {
                profile = CurrentProfile(_state);
            }
            var engine = await StartEngineAsync(profile, _shutdown.Token).ConfigureAwait(false);
            Netmap? netmap;
            lock (_lock)
            {
                _engine = engine;
                _engineError = null;
                netmap = _netmap;
            }
            if (netmap is not null)
            {
                await ApplyNetmapLockedAsync(netmap, NetmapChanges.All, _shutdown.Token).ConfigureAwait(false);
            }
            LogEngineStarted(_logger, _options.TunName, engine.Device.ListenPort);
            return engine;
        }
        finally
        {
            _opGate.Release();
        }
    }

    /// <summary>Starts the data plane and its path upkeep (netcheck, port mapping).</summary>
    private async Task<EngineHost> StartEngineAsync(ProfileState? profile, CancellationToken ct)
    {
        var engine = await StartEngineOnPortAsync(profile, ct).ConfigureAwait(false);
        StartPathUpkeep(engine);
        return engine;
    }

    /// <summary>Starts the data plane on --port, or with --port 0 on the port the last run used when it is still free.</summary>
    private async Task<EngineHost> StartEngineOnPortAsync(ProfileState? profile, CancellationToken ct)
    {
        ushort? remembered;
        lock (_lock)
        {
            remembered = _state.ListenPort;
        }
        if (_options.Port == 0 && remembered is { } last and > 0)
        {
            try
            {
                return await EngineHost.StartAsync(_options.TunName, last, NodeKeyOf(profile), _discoKey, Filter, _time, _loggers, ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                LogPortTaken(_logger, last, ex.Message);
            }
        }
        var engine = await EngineHost.StartAsync(_options.TunName, _options.Port, NodeKeyOf(profile), _discoKey, Filter, _time, _loggers, ct).ConfigureAwait(false);
        if (_options.Port == 0)
        {
            lock (_lock)
            {
                SaveLocked(_state with { ListenPort = engine.Device.ListenPort });
            }
        }
        return engine;
    }

    /// <summary>
    /// After a restart this node's WireGuard sessions are gone while its peers still hold theirs, so their
    /// packets would be dropped until their own rekey timer (up to 15 s). One empty UDP datagram to each online
    /// peer through the tunnel makes the engine handshake at once; the discard port means nothing listens.
    /// </summary>
    private void NudgePeers(Netmap netmap)
    {
        var self = netmap.Self.Addresses.Select(a => ParsePrefix(a)?.BaseAddress)
            .FirstOrDefault(a => a?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        if (self is null)
        {
            return;
        }
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            socket.Bind(new IPEndPoint(self, 0));
            foreach (var peer in netmap.Peers.Values)
            {
                var address = peer.Addresses.Select(a => ParsePrefix(a)?.BaseAddress)
                    .FirstOrDefault(a => a?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
                if (peer.Online && address is not null)
                {
                    socket.SendTo([], new IPEndPoint(address, DiscardPort));
                }
            }
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            LogNudgeFailed(_logger, ex.Message);
        }
    }

    /// <summary>RFC 863's discard port: a datagram sent there carries no meaning to anyone.</summary>
    private const int DiscardPort = 9;

    private static ProfileState? CurrentProfile(PersistedState state) =>
        state.CurrentProfile is { } id ? state.Profiles.FirstOrDefault(p => p.Id == id) : null;

    private static PrivateKey? NodeKeyOf(ProfileState? profile) =>
        profile is not null && Weft.Core.Crypto.Key32.TryParseHex(profile.NodePrivate, out var key) ? new PrivateKey(key) : null;

    /// <summary>The state with the current profile's prefs changed (a new default profile when there is none).</summary>
    private static PersistedState WithCurrentPrefs(PersistedState state, Func<NodePrefs, NodePrefs> change)
    {
        var current = CurrentProfile(state);
        if (current is null)
        {
            current = NewProfile(new NodePrefs());
            state = state with { CurrentProfile = current.Id, Profiles = [.. state.Profiles, current] };
        }
        return WithProfile(state, current with { Prefs = change(current.Prefs) });
    }

    private static PersistedState WithProfile(PersistedState state, ProfileState profile) =>
        state with { Profiles = [.. state.Profiles.Select(p => p.Id == profile.Id ? profile : p)] };

    private static ProfileState NewProfile(NodePrefs prefs) => new()
    {
        Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)),
        NodePrivate = PrivateKey.Generate().Key.ToHex(),
        Prefs = prefs,
    };

    /// <summary>Replaces the state in memory and on disk; caller holds <see cref="_lock"/>.</summary>
    private void SaveLocked(PersistedState state)
    {
        _state = state;
        _store.Save(state);
    }

    private static IPNetwork? ParsePrefix(string text) => IPNetwork.TryParse(text, out var network) ? network : null;
}
