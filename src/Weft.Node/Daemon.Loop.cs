using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Node.ControlLoop;
using Weft.Node.Engine;
using Weft.Node.State;

namespace Weft.Node;

public sealed partial class Daemon
{
    /// <summary>Starts the control loop for <paramref name="profile"/>; caller holds <see cref="_opGate"/> and stopped any previous loop.</summary>
    private void StartLoopLocked(ProfileState profile, string? authKey)
    {
        if (profile.Prefs.LoginServer is not { } server || !Uri.TryCreate(server, UriKind.Absolute, out var serverUri))
        {
            return;
        }
        string? pinned;
        lock (_lock)
        {
            pinned = _state.ServerKeys.GetValueOrDefault(server);
            _authUrl = null;
            _registrationError = null;
            _controlError = null;
            _controlConnected = false;
        }
        var options = new ControlLoopOptions
        {
            Server = serverUri,
            MachineKey = _store.MachineKey,
            NodeKey = NodeKeyOf(profile)!.Value,
            ServerKeyHex = pinned,
            Registered = profile.Registered,
            AuthKey = authKey,
            KeyIssued = profile.KeyIssued,
            KeyExpiry = profile.KeyExpiry,
        };
        var run = new LoopRun(this, profile.Id, server, CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token));
        var loop = new ControlLoop.ControlLoop(options, run, _http, _time, _loggers.CreateLogger<ControlLoop.ControlLoop>());
        run.Loop = loop;
        lock (_lock)
        {
            _loop = run;
        }
        run.Task = Task.Run(() => loop.RunAsync(run.Stop.Token));
    }

    /// <summary>Stops the running control loop, if any, and waits for it to end.</summary>
    private async Task StopLoopAsync()
    {
        LoopRun? run;
        lock (_lock)
        {
            run = _loop;
            _loop = null;
            _controlConnected = false;
        }
        if (run is null)
        {
            return;
        }
        await run.Stop.CancelAsync().ConfigureAwait(false);
        if (run.Task is { } task)
        {
            await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        run.Stop.Dispose();
    }

    /// <summary>True while <paramref name="run"/> is the daemon's current loop (callbacks of a stopped loop are ignored).</summary>
    private bool IsCurrent(LoopRun run)
    {
        lock (_lock)
        {
            return ReferenceEquals(_loop, run);
        }
    }

    /// <summary>One run of the control loop for one profile: the loop's callbacks land here.</summary>
    private sealed class LoopRun(Daemon daemon, string profileId, string server, CancellationTokenSource stop) : IControlLoopHost
    {
        public CancellationTokenSource Stop { get; } = stop;

        public Task? Task { get; set; }

        /// <summary>The loop itself, for nudges (report endpoints now).</summary>
        public ControlLoop.ControlLoop? Loop { get; set; }

        public string? DiscoKey => new DiscoPublic(daemon._discoKey.PublicKey()).ToString();

        public HostInfo HostInfo => daemon.CurrentHostInfo();

        public IReadOnlyList<string> Endpoints => daemon.CurrentEndpoints();

        public void ServerKeyPinned(string serverKeyHex)
        {
            if (!daemon.IsCurrent(this))
            {
                return;
            }
            lock (daemon._lock)
            {
                var keys = new Dictionary<string, string>(daemon._state.ServerKeys) { [server] = serverKeyHex };
                daemon.SaveLocked(daemon._state with { ServerKeys = keys });
            }
            LogServerKeyPinned(daemon._logger, server, serverKeyHex);
        }

        public void AuthUrlReceived(string url)
        {
            lock (daemon._lock)
            {
                if (ReferenceEquals(daemon._loop, this))
                {
                    daemon._authUrl = url;
                }
            }
        }

        public void Registered(PrivateKey nodeKey, RegisterResponse response)
        {
            EngineHost? engine;
            lock (daemon._lock)
            {
                if (!ReferenceEquals(daemon._loop, this) || daemon._state.Profiles.FirstOrDefault(p => p.Id == profileId) is not { } profile)
                {
                    return;
                }
                var updated = profile with
                {
                    NodePrivate = nodeKey.Key.ToHex(),
                    Registered = true,
                    Login = response.Login,
                    KeyIssued = daemon._time.GetUtcNow(),
                    KeyExpiry = response.KeyExpiry,
                };
                var state = WithProfile(daemon._state, updated);
                // The same login on the same server in another profile is this node's older identity
                // (`weft login` as the same user): the server moved the node to the new key, so drop it.
                var stale = state.Profiles.Where(p => p.Id != profileId && p.Login == updated.Login && p.Prefs.LoginServer == updated.Prefs.LoginServer).ToList();
                if (stale.Count > 0)
                {
                    state = state with { Profiles = [.. state.Profiles.Where(p => !stale.Contains(p))] };
                }
                daemon.SaveLocked(state);
                foreach (var old in stale)
                {
                    daemon._store.DeleteNetmap(old.Id);
                }
                daemon._authUrl = null;
                daemon._registrationError = null;
                engine = daemon._engine;
            }
            // A rotated key takes effect at once; peers learn the new public key from their next map delta.
            engine?.Device.SetPrivateKey(nodeKey.Key);
            engine?.Paths.SetNodeKey(new NodePublic(nodeKey.PublicKey()));
            engine?.Relays.SetNodeKey(nodeKey);
        }

        public void RegistrationRefused(string error)
        {
            lock (daemon._lock)
            {
                if (ReferenceEquals(daemon._loop, this))
                {
                    daemon._registrationError = error;
                    daemon._authUrl = null;
                }
            }
        }

        public void RegistrationLost(string reason)
        {
            lock (daemon._lock)
            {
                if (!ReferenceEquals(daemon._loop, this) || daemon._state.Profiles.FirstOrDefault(p => p.Id == profileId) is not { } profile)
                {
                    return;
                }
                daemon.SaveLocked(WithProfile(daemon._state, profile with { Registered = false }));
            }
            LogRegistrationLost(daemon._logger, reason);
        }

        public Task MapReceivedAsync(MapResponse message, bool firstOfStream, CancellationToken ct) =>
            daemon.OnMapAsync(this, profileId, message, firstOfStream, ct);

        public void ConnectionChanged(bool connected, string? error)
        {
            lock (daemon._lock)
            {
                if (ReferenceEquals(daemon._loop, this))
                {
                    daemon._controlConnected = connected;
                    daemon._controlError = connected ? null : error;
                }
            }
        }
    }

    private HostInfo CurrentHostInfo()
    {
        NodePrefs? prefs;
        lock (_lock)
        {
            prefs = CurrentProfile(_state)?.Prefs;
        }
        return HostInfoFor(prefs) with { NetInfo = CurrentNetInfo() };
    }

    /// <summary>The host info sent with registration and map requests for <paramref name="prefs"/>, tags to request included.</summary>
    internal static HostInfo HostInfoFor(NodePrefs? prefs) => new()
    {
        Hostname = string.IsNullOrWhiteSpace(prefs?.Hostname) ? Environment.MachineName : prefs.Hostname,
        OS = OperatingSystem.IsLinux() ? "linux" : Environment.OSVersion.Platform.ToString().ToLowerInvariant(),
        ClientVersion = DaemonVersion,
        RequestTags = prefs?.AdvertiseTags ?? [],
    };

    /// <summary>The daemon's version as clients report it ("0.1.0").</summary>
    internal static string DaemonVersion { get; } =
        (typeof(Daemon).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false).FirstOrDefault()
            as System.Reflection.AssemblyInformationalVersionAttribute)?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
