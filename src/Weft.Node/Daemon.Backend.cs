using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Weft.Core.Keys;
using Weft.Node.ControlLoop;
using Weft.Node.Engine;
using Weft.Node.LocalApi;
using Weft.Node.Paths;
using Weft.Node.State;
using Weft.WireGuard;

namespace Weft.Node;

using Node = Weft.Core.Control.Node;

public sealed partial class Daemon : ILocalBackend
{
    /// <summary>Our choice: a peer with a handshake in the last 3 minutes counts as active (WireGuard rekeys every 2).</summary>
    private static readonly TimeSpan ActiveWindow = TimeSpan.FromMinutes(3);

    public StatusResponse Status()
    {
        lock (_lock)
        {
            var profile = CurrentProfile(_state);
            var netmap = _netmap;
            var health = new List<string>();
            if (_controlError is { } control && !_controlConnected && _loop is not null)
            {
                health.Add($"control server unreachable: {control}");
            }
            if (_registrationError is { } registration)
            {
                health.Add($"login failed: {registration}");
            }
            if (_engineError is { } engine)
            {
                health.Add(engine);
            }
            if (_dnsError is { } dns)
            {
                health.Add(dns);
            }
            if (Interlocked.Read(ref _malformedMaps) is > 0 and var malformed)
            {
                health.Add(string.Create(CultureInfo.InvariantCulture, $"{malformed} malformed map messages ignored"));
            }
            if (_engine is { } running && netmap?.RelayMap is { Regions.Count: > 0 } && profile?.Prefs.WantRunning == true && !running.Relays.HomeConnected)
            {
                health.Add($"home relay {(running.Relays.Region.Length > 0 ? running.Relays.Region : "(none)")} not connected: peers without a direct path are unreachable until it is");
            }
            var peers = new List<PeerStatus>();
            if (netmap is not null && profile?.Prefs.WantRunning == true)
            {
                foreach (var peer in netmap.Peers.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    peers.Add(ToStatus(peer, netmap, _engine));
                }
            }
            return new StatusResponse
            {
                BackendState = BackendStateLocked(profile, netmap),
                AuthUrl = _authUrl,
                Self = netmap is null ? null : ToStatus(netmap.Self, netmap, null),
                Peers = peers,
                TailnetDomain = netmap?.Dns?.Domain,
                User = profile?.Login,
                Health = health,
            };
        }
    }

    /// <summary>The backend state the CLI shows; caller holds <see cref="_lock"/>.</summary>
    private string BackendStateLocked(ProfileState? profile, Netmap? netmap)
    {
        if (profile is null || profile.Prefs.LoginServer is null)
        {
            return BackendState.NoState;
        }
        if (!profile.Prefs.WantRunning)
        {
            return profile.Registered ? BackendState.Stopped : BackendState.NoState;
        }
        if (_authUrl is not null || _registrationError is not null || (!profile.Registered && _loop is null))
        {
            return BackendState.NeedsLogin;
        }
        if (!profile.Registered)
        {
            return BackendState.Starting;
        }
        return netmap is null ? BackendState.Starting : BackendState.Running;
    }

    private PeerStatus ToStatus(Node node, Netmap netmap, EngineHost? engine)
    {
        Peer? peer = null;
        PeerPath? path = null;
        if (engine is not null && NodePublic.TryParse(node.NodeKey, out var key))
        {
            peer = engine.Device.FindPeer(key.Key);
            path = engine.Paths.PeerPath(key);
        }
        var lastHandshake = peer?.LastHandshake;
        var active = lastHandshake is { } at && _time.GetUtcNow() - at < ActiveWindow;
        var user = node.Tags.Count > 0
            ? "tagged-devices"
            : netmap.UserProfiles.TryGetValue(node.UserId, out var profile) ? profile.Login : node.UserId.ToString(CultureInfo.InvariantCulture);
        return new PeerStatus
        {
            Id = node.Id.ToString(CultureInfo.InvariantCulture),
            Name = node.Name,
            Fqdn = node.Fqdn,
            // IPv4 first, without prefix lengths, as `weft ip` prints them.
            Addresses = [.. node.Addresses.Select(a => ParsePrefix(a)?.BaseAddress).OfType<IPAddress>()
                .OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)
                .Select(a => a.ToString())],
            User = user,
            Tags = node.Tags,
            Os = node.HostInfo.OS,
            Online = node.Online,
            Active = active,
            // A peer with a disco key goes where MagicBind chose; one without, to its WireGuard endpoint.
            Path = !active || peer is null ? ""
                : path is not null ? path.ToString()
                : peer.Endpoint.IsEmpty ? "" : $"direct {peer.Endpoint.ToIPEndPoint()}",
            LastHandshake = lastHandshake,
            RxBytes = peer?.RxBytes ?? 0,
            TxBytes = peer?.TxBytes ?? 0,
            KeyExpiry = node.KeyExpiry,
        };
    }

    public async Task<UpResponse> UpAsync(UpRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.LoginServer is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            throw new LocalApiError(StatusCodes.Status400BadRequest, $"--login-server '{url}' is not an http or https URL");
        }
        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await StopLoopAsync().ConfigureAwait(false);
            ProfileState profile;
            bool switched;
            lock (_lock)
            {
                var current = CurrentProfile(_state);
                var prefs = current?.Prefs ?? new NodePrefs();
                if (request.Reset)
                {
                    prefs = new NodePrefs { LoginServer = prefs.LoginServer, OperatorUser = prefs.OperatorUser };
                }
                var loginServer = request.LoginServer ?? prefs.LoginServer
                    ?? throw new LocalApiError(StatusCodes.Status400BadRequest, "no coordination server yet: run `weft up --login-server URL`");
                prefs = prefs with
                {
                    LoginServer = loginServer,
                    Hostname = request.Hostname ?? prefs.Hostname,
                    AdvertiseTags = request.AdvertiseTags.Count > 0 || request.Reset ? request.AdvertiseTags : prefs.AdvertiseTags,
                    AcceptDns = request.AcceptDns ?? prefs.AcceptDns,
                    WantRunning = true,
                };
                var state = _state;
                // A new login (force-reauth, or another server) gets a fresh node key in a new profile; the old
                // profile stays for `weft switch` unless the login turns out to be the same user (see Registered).
                var fresh = current is null || (current.Registered && (request.ForceReauth || current.Prefs.LoginServer != loginServer));
                if (fresh)
                {
                    profile = NewProfile(prefs);
                    state = state with { CurrentProfile = profile.Id, Profiles = [.. state.Profiles, profile] };
                }
                else
                {
                    profile = current! with { Prefs = prefs };
                    state = WithProfile(state, profile);
                }
                switched = fresh && current is not null;
                SaveLocked(state);
            }
            if (switched)
            {
                await ClearDataPlaneLockedAsync(ct).ConfigureAwait(false);
                SetEngineKey(profile);
            }
            else
            {
                SetEngineKey(profile);
                Netmap? netmap;
                lock (_lock)
                {
                    netmap = _netmap;
                }
                if (netmap is not null)
                {
                    // Back up after `down`: the last netmap brings peers back before the server answers.
                    await ApplyNetmapLockedAsync(netmap, NetmapChanges.All, ct).ConfigureAwait(false);
                }
                else if (profile.Registered && _store.LoadNetmap(profile.Id) is { } cached)
                {
                    await ResumeFromCacheLockedAsync(cached, ct).ConfigureAwait(false);
                }
            }
            var authKey = string.IsNullOrWhiteSpace(request.AuthKey) ? null : request.AuthKey.Trim();
            StartLoopLocked(profile, authKey);
        }
        finally
        {
            _opGate.Release();
        }
        var status = Status();
        return new UpResponse { BackendState = status.BackendState, AuthUrl = status.AuthUrl };
    }

    private async Task ResumeFromCacheLockedAsync(Weft.Core.Control.MapResponse cached, CancellationToken ct)
    {
        try
        {
            var netmap = Netmap.FromFull(cached);
            lock (_lock)
            {
                _netmap = netmap;
            }
            await ApplyNetmapLockedAsync(netmap, NetmapChanges.All, ct).ConfigureAwait(false);
        }
        catch (NetmapException ex)
        {
            LogCacheUnusable(_logger, ex.Message);
        }
    }

    private void SetEngineKey(ProfileState profile)
    {
        EngineHost? engine;
        lock (_lock)
        {
            engine = _engine;
        }
        if (engine is not null && NodeKeyOf(profile) is { } key)
        {
            engine.Device.SetPrivateKey(key.Key);
        }
    }

    public async Task DownAsync(CancellationToken ct)
    {
        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await StopLoopAsync().ConfigureAwait(false);
            lock (_lock)
            {
                if (CurrentProfile(_state) is null)
                {
                    throw new LocalApiError(StatusCodes.Status400BadRequest, "not logged in: run `weft up`");
                }
                SaveLocked(WithCurrentPrefs(_state, p => p with { WantRunning = false }));
                _authUrl = null;
            }
            await ClearDataPlaneLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _opGate.Release();
        }
    }

    public async Task LogoutAsync(CancellationToken ct)
    {
        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await StopLoopAsync().ConfigureAwait(false);
            ProfileState? removed;
            lock (_lock)
            {
                removed = CurrentProfile(_state);
                if (removed is null)
                {
                    throw new LocalApiError(StatusCodes.Status400BadRequest, "not logged in: nothing to log out of");
                }
                // The node key is forgotten; the prefs (login server, hostname) carry over to the next `weft up`.
                var successor = new ProfileState
                {
                    Id = NewProfile(new NodePrefs()).Id,
                    NodePrivate = PrivateKey.Generate().Key.ToHex(),
                    Prefs = removed.Prefs with { WantRunning = false },
                };
                SaveLocked(_state with
                {
                    CurrentProfile = successor.Id,
                    Profiles = [.. _state.Profiles.Where(p => p.Id != removed.Id), successor],
                });
                _authUrl = null;
                _registrationError = null;
            }
            _store.DeleteNetmap(removed.Id);
            await ClearDataPlaneLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _opGate.Release();
        }
    }

    public IReadOnlyList<ProfileInfo> Profiles()
    {
        lock (_lock)
        {
            return [.. _state.Profiles
                .Where(p => p.Registered || p.Id == _state.CurrentProfile)
                .Select(p => new ProfileInfo
                {
                    Id = p.Id,
                    User = p.Login ?? "",
                    Tailnet = p.Prefs.LoginServer ?? "",
                    Current = p.Id == _state.CurrentProfile,
                })];
        }
    }

    public async Task SwitchAsync(string profile, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(profile);
        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ProfileState target;
            lock (_lock)
            {
                target = _state.Profiles.FirstOrDefault(p => p.Id == profile)
                    ?? _state.Profiles.FirstOrDefault(p => p.Registered && p.Login == profile)
                    ?? throw new LocalApiError(StatusCodes.Status404NotFound, $"no profile '{profile}': see `weft switch --list`");
                if (target.Id == _state.CurrentProfile)
                {
                    return;
                }
            }
            await StopLoopAsync().ConfigureAwait(false);
            await ClearDataPlaneLockedAsync(ct).ConfigureAwait(false);
            lock (_lock)
            {
                target = target with { Prefs = target.Prefs with { WantRunning = true } };
                SaveLocked(WithProfile(_state with { CurrentProfile = target.Id }, target));
                _authUrl = null;
                _registrationError = null;
            }
            SetEngineKey(target);
            if (target.Registered && _store.LoadNetmap(target.Id) is { } cached)
            {
                await ResumeFromCacheLockedAsync(cached, ct).ConfigureAwait(false);
            }
            StartLoopLocked(target, authKey: null);
        }
        finally
        {
            _opGate.Release();
        }
    }

    public Prefs GetPrefs()
    {
        lock (_lock)
        {
            return ToPrefs(CurrentProfile(_state)?.Prefs ?? new NodePrefs());
        }
    }

    public async Task<Prefs> PatchPrefsAsync(PrefsPatch patch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (patch.LoginServer is { } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            throw new LocalApiError(StatusCodes.Status400BadRequest, $"loginServer '{url}' is not a URL");
        }
        uint? operatorUid = null;
        if (patch.OperatorUser is { Length: > 0 } user)
        {
            operatorUid = LocalApiAuthorizer.LookupUid(user) ?? throw new LocalApiError(StatusCodes.Status400BadRequest, $"operator '{user}' is not a local user");
        }
        NodePrefs before;
        NodePrefs after;
        lock (_lock)
        {
            before = CurrentProfile(_state)?.Prefs ?? new NodePrefs();
            after = before with
            {
                LoginServer = patch.LoginServer ?? before.LoginServer,
                Hostname = patch.Hostname ?? before.Hostname,
                AdvertiseTags = patch.AdvertiseTags ?? before.AdvertiseTags,
                AcceptDns = patch.AcceptDns ?? before.AcceptDns,
                OperatorUser = patch.OperatorUser is null ? before.OperatorUser : patch.OperatorUser.Length == 0 ? null : patch.OperatorUser,
            };
            SaveLocked(WithCurrentPrefs(_state, _ => after));
        }
        if (patch.OperatorUser is not null)
        {
            _authorizer.SetOperator(operatorUid);
        }
        if (patch.WantRunning == false && before.WantRunning)
        {
            await DownAsync(ct).ConfigureAwait(false);
        }
        else if ((patch.WantRunning == true && !before.WantRunning) || (before.WantRunning && (before.Hostname != after.Hostname || before.LoginServer != after.LoginServer
            || !before.AdvertiseTags.SequenceEqual(after.AdvertiseTags, StringComparer.Ordinal))))
        {
            // Reconnect so the server hears the new host info (or the tunnel comes back up).
            await UpAsync(new UpRequest(), ct).ConfigureAwait(false);
        }
        else if (before.AcceptDns != after.AcceptDns)
        {
            await ReapplyLockedAsync(ct).ConfigureAwait(false);
        }
        return GetPrefs();
    }

    private async Task ReapplyLockedAsync(CancellationToken ct)
    {
        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Netmap? netmap;
            lock (_lock)
            {
                netmap = _netmap;
            }
            if (netmap is not null)
            {
                await ApplyNetmapLockedAsync(netmap, NetmapChanges.Dns, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _opGate.Release();
        }
    }

    private static Prefs ToPrefs(NodePrefs prefs) => new()
    {
        LoginServer = prefs.LoginServer,
        Hostname = prefs.Hostname,
        AdvertiseTags = prefs.AdvertiseTags,
        AcceptDns = prefs.AcceptDns,
        WantRunning = prefs.WantRunning,
        OperatorUser = prefs.OperatorUser,
    };

    public WhoIsResponse? WhoIs(IPAddress address)
    {
        lock (_lock)
        {
            if (_netmap is not { } netmap)
            {
                return null;
            }
            var node = netmap.PeerByAddress(address);
            if (node is null && netmap.Self.Addresses.Any(a => ParsePrefix(a)?.BaseAddress.Equals(address) == true))
            {
                node = netmap.Self;
            }
            if (node is null)
            {
                return null;
            }
            var status = ToStatus(node, netmap, node == netmap.Self ? null : _engine);
            return new WhoIsResponse { Node = status, User = status.User };
        }
    }

    public async Task<PingResponse> PingAsync(PingRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Node peer;
        IPAddress target;
        lock (_lock)
        {
            if (_netmap is not { } netmap)
            {
                throw new LocalApiError(StatusCodes.Status409Conflict, "not connected: run `weft up`");
            }
            (peer, target) = ResolvePeer(netmap, request.Target.Trim())
                ?? throw new LocalApiError(StatusCodes.Status404NotFound, $"no peer named or addressed '{request.Target}' in the tailnet");
        }
        var latencies = await Os.Pinger.PingAsync(target, request.Count, ct).ConfigureAwait(false);
        PeerStatus status;
        lock (_lock)
        {
            status = ToStatus(peer, _netmap ?? throw new LocalApiError(StatusCodes.Status409Conflict, "disconnected during the ping"), _engine);
        }
        return new PingResponse
        {
            Peer = peer.Name,
            Ip = target.ToString(),
            Path = status.Path,
            LatenciesMs = latencies,
            Ok = latencies.Count > 0,
        };
    }

    /// <summary>A peer by IP, short name or fqdn (with or without the trailing dot), with the address to ping.</summary>
    private static (Node Peer, IPAddress Address)? ResolvePeer(Netmap netmap, string target)
    {
        if (IPAddress.TryParse(target, out var ip))
        {
            return netmap.PeerByAddress(ip) is { } byIp ? (byIp, ip) : null;
        }
        var name = target.TrimEnd('.');
        foreach (var peer in netmap.Peers.Values)
        {
            if (string.Equals(peer.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(peer.Fqdn.TrimEnd('.'), name, StringComparison.OrdinalIgnoreCase))
            {
                var first = peer.Addresses.Select(a => ParsePrefix(a)?.BaseAddress).OfType<IPAddress>()
                    .OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1).FirstOrDefault();
                return first is null ? null : (peer, first);
            }
        }
        return null;
    }

    public VersionResponse Version() => new() { Version = DaemonVersion, LatestClientVersion = Volatile.Read(ref _latestClientVersion) };

    /// <summary>
    /// Keeps the newest client version the server announces. Only full maps carry it, so a full map without one
    /// means the server stopped announcing (deltas leave it as it was).
    /// </summary>
    internal void NoteLatestClientVersion(Weft.Core.Control.MapResponse message, bool firstOfStream)
    {
        if (firstOfStream || message.Peers is not null)
        {
            Volatile.Write(ref _latestClientVersion, string.IsNullOrWhiteSpace(message.LatestClientVersion) ? null : message.LatestClientVersion);
        }
    }
}
