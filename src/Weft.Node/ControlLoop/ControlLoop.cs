using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Node.ControlLoop;

/// <summary>
/// Keeps one profile connected to the coordination server: pins the server key, registers (auth key or
/// interactive login URL), rotates the node key before it expires, streams the netmap to the host, and
/// reconnects with backoff whenever the connection breaks. Runs until cancelled or a registration is refused.
/// </summary>
public sealed partial class ControlLoop
{
    /// <summary>Our choice: a node key is renewed once two thirds of its life have passed.</summary>
    private const double RotateAtLifeFraction = 2.0 / 3.0;

    /// <summary>Our choice: the longest a stream runs before the rotation deadline is looked at again.</summary>
    private static readonly TimeSpan RotationRecheck = TimeSpan.FromDays(1);

    private readonly IControlLoopHost _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly Backoff _backoff;
    private readonly Uri _server;
    private readonly PrivateKey _machineKey;
    private PrivateKey _nodeKey;
    private string? _serverKeyHex;
    private bool _registered;
    private string? _authKey;
    private DateTimeOffset? _keyIssued;
    private DateTimeOffset? _keyExpiry;
    private readonly TimeSpan _streamSilence;
    private readonly TimeSpan _endpointRecheck;

    public ControlLoop(ControlLoopOptions options, IControlLoopHost host, HttpClient http, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _host = host;
        _http = http;
        _time = time;
        _logger = logger;
        _server = options.Server;
        _machineKey = options.MachineKey;
        _nodeKey = options.NodeKey;
        _serverKeyHex = options.ServerKeyHex;
        _registered = options.Registered;
        _authKey = options.AuthKey;
        _keyIssued = options.KeyIssued;
        _keyExpiry = options.KeyExpiry;
        _streamSilence = options.StreamSilence;
        _endpointRecheck = options.EndpointRecheck;
        _backoff = new Backoff(options.BackoffInitial, options.BackoffMaximum);
    }

    private readonly SemaphoreSlim _reportSoon = new(0, 1);

    /// <summary>
    /// Asks the loop to compare endpoints and net info with what it last reported now, instead of at the next
    /// recheck (the daemon calls it after a netcheck or a port mapping change).
    /// </summary>
    public void ReportSoon()
    {
        try
        {
            if (_reportSoon.CurrentCount == 0)
            {
                _reportSoon.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already asked: one pending report covers both.
        }
    }

    /// <summary>Map messages that arrived since the start.</summary>
    public long MapMessages => Interlocked.Read(ref _mapMessages);

    private long _mapMessages;

    /// <summary>Runs until <paramref name="ct"/> is cancelled or the server refuses the registration.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await RunOnceAsync(ct).ConfigureAwait(false) == Outcome.Stop)
                {
                    return;
                }
                _host.ConnectionChanged(false, "server ended the map stream");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsConnectionFailure(ex))
            {
                LogConnectionFailed(_logger, _server, ex.Message, _backoff.Failures + 1);
                _host.ConnectionChanged(false, ex.Message);
            }
            catch (Exception ex)
            {
                // A bug must not silently end the node's only link to its tailnet: log it loudly and retry.
                LogUnexpected(_logger, ex);
                _host.ConnectionChanged(false, $"internal error: {ex.Message}");
            }
            try
            {
                await _backoff.DelayAsync(_time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>True for failures that a reconnect can cure: network, protocol, timeouts, a broken map.</summary>
    internal static bool IsConnectionFailure(Exception ex) =>
        ex is ControlProtocolException or HttpRequestException or IOException or WebSocketException
            or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException or InvalidOperationException;

    private async Task<Outcome> RunOnceAsync(CancellationToken ct)
    {
        var serverKey = await ServerKeyAsync(ct).ConfigureAwait(false);
        await using var client = await ConnectWithTimeoutAsync(serverKey, ct).ConfigureAwait(false);

        if (!_registered || _authKey is not null || RotationDue())
        {
            if (await RegisterAsync(client, ct).ConfigureAwait(false) == Outcome.Stop)
            {
                return Outcome.Stop;
            }
        }

        var endpoints = _host.Endpoints;
        var hostInfo = _host.HostInfo;
        await client.SendMapRequestAsync(new MapRequest
        {
            NodeKey = NodePublicText,
            DiscoKey = _host.DiscoKey,
            Endpoints = endpoints,
            HostInfo = hostInfo,
            Stream = true,
        }, ct).ConfigureAwait(false);

        // Rotation happens on a fresh connection: end this stream when the key is due. Timers cap at ~49 days,
        // so a far-off rotation is re-checked on a reconnect after at most RotationRecheck.
        using var rotate = RotationDelay() is { } due
            ? new CancellationTokenSource(due < RotationRecheck ? due : RotationRecheck, _time)
            : new CancellationTokenSource();
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(ct, rotate.Token);
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(stream.Token);
        var reporter = ReportEndpointChangesAsync(client, endpoints, hostInfo.NetInfo, reporting.Token);
        try
        {
            return await ReadStreamAsync(client, rotate, stream, ct).ConfigureAwait(false);
        }
        finally
        {
            await reporting.CancelAsync().ConfigureAwait(false);
            await reporter.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// While the stream runs, tells the server when this node's endpoints change (an interface came up, an
    /// address moved, a netcheck found the public address) or its net info does (home relay, UDP, NAT kind,
    /// port mapping), so peers do not keep dialling a dead address until the next reconnect. Checks every
    /// recheck interval, and at once when the daemon calls <see cref="ReportSoon"/>.
    /// </summary>
    private async Task ReportEndpointChangesAsync(ControlClient client, IReadOnlyList<string> reported, NetInfo? reportedInfo, CancellationToken ct)
    {
        Task? soon = null;
        while (true)
        {
            // One wait on the nudge lives across rounds, so a nudge that comes while the timer won is not lost.
            soon ??= _reportSoon.WaitAsync(ct);
            using (var tick = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var delay = Task.Delay(_endpointRecheck, _time, tick.Token);
                if (await Task.WhenAny(soon, delay).ConfigureAwait(false) == soon)
                {
                    await soon.ConfigureAwait(false);
                    soon = null;
                }
                await tick.CancelAsync().ConfigureAwait(false);
            }
            ct.ThrowIfCancellationRequested();
            var now = _host.Endpoints;
            var info = _host.HostInfo;
            // Peer counts ride along but alone are no reason to tell the server (every change would reach every peer).
            var infoChanged = !SameNetInfo(info.NetInfo, reportedInfo);
            var endpointsChanged = !now.SequenceEqual(reported);
            if (!endpointsChanged && !infoChanged)
            {
                continue;
            }
            await client.SendMapRequestAsync(new MapRequest
            {
                NodeKey = NodePublicText,
                Endpoints = endpointsChanged ? now : null,
                HostInfo = infoChanged ? info : null,
            }, ct).ConfigureAwait(false);
            if (endpointsChanged)
            {
                LogEndpointsChanged(_logger, string.Join(", ", now));
            }
            reported = now;
            reportedInfo = info.NetInfo;
        }
    }

    private static bool SameNetInfo(NetInfo? a, NetInfo? b) =>
        a is null || b is null ? a is null && b is null : a with { DirectPeers = 0, RelayedPeers = 0 } == b with { DirectPeers = 0, RelayedPeers = 0 };

    private async Task<Outcome> ReadStreamAsync(ControlClient client, CancellationTokenSource rotate, CancellationTokenSource stream, CancellationToken ct)
    {
        var first = true;
        while (true)
        {
            MapResponse? message;
            using (var silence = CancellationTokenSource.CreateLinkedTokenSource(stream.Token))
            {
                silence.CancelAfter(_streamSilence);
                try
                {
                    message = await client.ReceiveMapAsync(silence.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (rotate.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    LogRotationDue(_logger);
                    return Outcome.Reconnect;
                }
                catch (OperationCanceledException) when (!stream.IsCancellationRequested)
                {
                    throw new TimeoutException($"map stream silent for {_streamSilence.TotalSeconds} s");
                }
                catch (ControlProtocolException ex) when (IsRegistrationGone(ex.Message))
                {
                    _registered = false;
                    _host.RegistrationLost(ex.Message);
                    throw;
                }
            }
            if (message is null)
            {
                return Outcome.Reconnect;
            }
            Interlocked.Increment(ref _mapMessages);
            if (first)
            {
                _backoff.Reset();
                _host.ConnectionChanged(true, null);
            }
            await _host.MapReceivedAsync(message, first, ct).ConfigureAwait(false);
            first = false;
        }
    }

    private string NodePublicText => new NodePublic(_nodeKey.PublicKey()).ToString();

    private static bool IsRegistrationGone(string error) =>
        error.Contains("unknown node key", StringComparison.OrdinalIgnoreCase) ||
        error.Contains("not authorized", StringComparison.OrdinalIgnoreCase) ||
        error.Contains("expired", StringComparison.OrdinalIgnoreCase);

    private async Task<Key32> ServerKeyAsync(CancellationToken ct)
    {
        if (_serverKeyHex is not null && Key32.TryParseHex(_serverKeyHex, out var pinned))
        {
            return pinned;
        }
        // Trust on first use, like SSH: later handshakes only succeed with this key.
        var key = await ControlClient.FetchServerKeyAsync(_http, _server, ct).ConfigureAwait(false);
        _serverKeyHex = key.ToHex();
        _host.ServerKeyPinned(_serverKeyHex);
        return key;
    }

    private async Task<ControlClient> ConnectWithTimeoutAsync(Key32 serverKey, CancellationToken ct)
    {
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connect.CancelAfter(ControlTimeouts.Connect);
        try
        {
            return await ControlClient.ConnectAsync(_server, _machineKey.Key, serverKey, connect.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection to {_server} within {ControlTimeouts.Connect.TotalSeconds} s");
        }
    }

    private async Task<Outcome> RegisterAsync(ControlClient client, CancellationToken ct)
    {
        string? oldNodeKey = null;
        var key = _nodeKey;
        if (_registered && _authKey is null && RotationDue())
        {
            oldNodeKey = NodePublicText;
            key = PrivateKey.Generate();
            LogRotating(_logger, oldNodeKey, new NodePublic(key.PublicKey()).ToString());
        }
        var nodeKeyText = new NodePublic(key.PublicKey()).ToString();
        var response = await client.RegisterAsync(new RegisterRequest
        {
            NodeKey = nodeKeyText,
            OldNodeKey = oldNodeKey,
            AuthKey = _authKey,
            HostInfo = _host.HostInfo,
        }, ct).ConfigureAwait(false);

        while (!response.Authorized)
        {
            if (response.Error is { } error)
            {
                if (error.Contains("429", StringComparison.Ordinal) || error.Contains("login URL unknown", StringComparison.Ordinal))
                {
                    // Transient: retry after the backoff (a fresh interactive login gets a new URL).
                    throw new ControlProtocolException($"registration: {error}");
                }
                LogRegistrationRefused(_logger, error);
                _authKey = null;
                _host.RegistrationRefused(error);
                return Outcome.Stop;
            }
            if (response.AuthUrl is not { } url)
            {
                throw new ControlProtocolException("registration answer carries neither authorization, login URL nor error");
            }
            LogNeedsLogin(_logger, url);
            _host.AuthUrlReceived(url);
            // The server holds a follow-up until an admin approves or its own wait ends; then ask again.
            response = await client.RegisterAsync(new RegisterRequest { NodeKey = nodeKeyText, Followup = url, HostInfo = _host.HostInfo }, ct).ConfigureAwait(false);
        }

        _nodeKey = key;
        _registered = true;
        _authKey = null;
        _keyIssued = _time.GetUtcNow();
        _keyExpiry = response.KeyExpiry;
        LogRegistered(_logger, nodeKeyText, response.Login ?? "", response.KeyExpiry);
        _host.Registered(key, response);
        return Outcome.Continue;
    }

    private bool RotationDue() => RotationDelay() is { } delay && delay <= TimeSpan.Zero;

    /// <summary>How long until the node key should be rotated; null when it never expires.</summary>
    private TimeSpan? RotationDelay()
    {
        if (_keyExpiry is not { } expiry || _keyIssued is not { } issued || expiry <= issued)
        {
            return null;
        }
        var at = issued + ((expiry - issued) * RotateAtLifeFraction);
        var delay = at - _time.GetUtcNow();
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private enum Outcome
    {
        Continue,
        Reconnect,
        Stop,
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "control connection to {Server} failed (attempt {Attempt}): {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, Uri server, string reason, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "control loop failed unexpectedly; retrying")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "rotating node key {Old} to {New}")]
    private static partial void LogRotating(ILogger logger, string old, string @new);

    [LoggerMessage(Level = LogLevel.Information, Message = "endpoints changed, told the server: {Endpoints}")]
    private static partial void LogEndpointsChanged(ILogger logger, string endpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "node key nearing expiry: reconnecting to rotate it")]
    private static partial void LogRotationDue(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "registration refused: {Error}")]
    private static partial void LogRegistrationRefused(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "login required: approve {Url}")]
    private static partial void LogNeedsLogin(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "registered {NodeKey} as '{Login}', key expires {Expiry}")]
    private static partial void LogRegistered(ILogger logger, string nodeKey, string login, DateTimeOffset? expiry);
}

/// <summary>Hang guards of the control connection. Our choice.</summary>
internal static class ControlTimeouts
{
    /// <summary>WebSocket connect plus Noise handshake.</summary>
    public static readonly TimeSpan Connect = TimeSpan.FromSeconds(15);
}
