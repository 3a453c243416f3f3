using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Weft.Node.LocalApi;

/// <summary>
/// Talks to a running `weft daemon` over its local API Unix socket; the CLI and the web UI use it and
/// never touch packets themselves. Failures surface as <see cref="LocalApiException"/> whose message says
/// what to do next.
/// </summary>
public sealed class LocalApiClient : IDisposable
{
    /// <summary>The host name in request URIs; the socket, not DNS, decides where requests go.</summary>
    private static readonly Uri BaseUri = new("http://weftd/");

    private readonly HttpClient _http;

    /// <summary>A client for the daemon listening on <paramref name="socketPath"/>.</summary>
    public LocalApiClient(string socketPath, TimeSpan? requestTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            // One short-lived CLI process makes a handful of calls; no reason to keep idle sockets around long.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        };
        _http = new HttpClient(handler) { BaseAddress = BaseUri, Timeout = requestTimeout ?? TimeSpan.FromSeconds(30) };
    }

    /// <summary>The socket this client connects to.</summary>
    public string SocketPath { get; }

    public Task<StatusResponse> GetStatusAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "status", null, LocalApiJsonContext.Default.StatusResponse, ct);

    public Task<UpResponse> UpAsync(UpRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "up", Body(request, LocalApiJsonContext.Default.UpRequest), LocalApiJsonContext.Default.UpResponse, ct);

    public Task DownAsync(CancellationToken ct = default) => SendAsync(HttpMethod.Post, "down", null, ct);

    public Task LogoutAsync(CancellationToken ct = default) => SendAsync(HttpMethod.Post, "logout", null, ct);

    public Task<IReadOnlyList<ProfileInfo>> GetProfilesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "profiles", null, LocalApiJsonContext.Default.IReadOnlyListProfileInfo, ct);

    public Task SwitchAsync(string profile, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "switch", Body(new SwitchRequest { Profile = profile }, LocalApiJsonContext.Default.SwitchRequest), ct);

    public Task<Prefs> GetPrefsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "prefs", null, LocalApiJsonContext.Default.Prefs, ct);

    public Task<Prefs> PatchPrefsAsync(PrefsPatch patch, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, "prefs", Body(patch, LocalApiJsonContext.Default.PrefsPatch), LocalApiJsonContext.Default.Prefs, ct);

    /// <summary>Who owns a tailnet address ("100.64.0.3" or "100.64.0.3:22"); null when no node holds it.</summary>
    public async Task<WhoIsResponse?> WhoIsAsync(string address, CancellationToken ct = default)
    {
        try
        {
            return await SendAsync(HttpMethod.Get, "whois?addr=" + Uri.EscapeDataString(address), null, LocalApiJsonContext.Default.WhoIsResponse, ct)
                .ConfigureAwait(false);
        }
        catch (LocalApiException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<PingResponse> PingAsync(PingRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "ping", Body(request, LocalApiJsonContext.Default.PingRequest), LocalApiJsonContext.Default.PingResponse, ct);

    public Task<VersionResponse> GetVersionAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "version", null, LocalApiJsonContext.Default.VersionResponse, ct);

    public Task<NetcheckResponse> NetcheckAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "netcheck", null, LocalApiJsonContext.Default.NetcheckResponse, ct);

    public void Dispose() => _http.Dispose();

    private static StringContent Body<T>(T value, JsonTypeInfo<T> type) =>
        new(JsonSerializer.Serialize(value, type), Encoding.UTF8, "application/json");

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw ex.SocketErrorCode switch
            {
                SocketError.AccessDenied => new LocalApiException(0,
                    $"permission denied on {SocketPath}: run as root or as the daemon's --operator user"),
                // ENOENT (no socket file) and ECONNREFUSED (a stale file) both mean nobody is listening.
                _ => new LocalApiException(0,
                    $"weft daemon is not running (no answer on {SocketPath}): start it with `weft daemon`, or pass --socket PATH"),
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await RawAsync(method, path, body, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(text, type)
                ?? throw new LocalApiException((int)response.StatusCode, $"{method} {path}: the daemon sent an empty answer");
        }
        catch (JsonException ex)
        {
            throw new LocalApiException((int)response.StatusCode,
                $"{method} {path}: the daemon's answer is not the expected JSON ({ex.Message}); is the daemon the same version as this CLI?");
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? body, CancellationToken ct)
    {
        using var response = await RawAsync(method, path, body, ct).ConfigureAwait(false);
    }

    /// <summary>Sends one request; a non-success answer throws with the daemon's error message.</summary>
    private async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, HttpContent? body, CancellationToken ct)
    {
        HttpResponseMessage response;
        using (body)
        {
            using var request = new HttpRequestMessage(method, "localapi/v0/" + path) { Content = body };
            try
            {
                response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.InnerException is LocalApiException inner)
            {
                throw new LocalApiException(inner.Status, inner.Message, ex);
            }
            catch (HttpRequestException ex)
            {
                throw new LocalApiException(0, $"talking to the weft daemon on {SocketPath} failed: {ex.Message}", ex);
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                throw new LocalApiException(0, $"the weft daemon on {SocketPath} did not answer in {_http.Timeout.TotalSeconds:0}s", ex);
            }
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            string? error = null;
            try
            {
                error = JsonSerializer.Deserialize(text, LocalApiJsonContext.Default.ErrorResponse)?.Error;
            }
            catch (JsonException)
            {
                // Not our error shape (an older daemon, a bare status): report the status alone.
            }

            throw new LocalApiException((int)response.StatusCode, error ?? $"{method} {path}: {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }
}

/// <summary>
/// A local API call failed. <see cref="Status"/> is the HTTP status, or 0 when the daemon could not be
/// reached at all; the message is meant to be shown to the user as is.
/// </summary>
public sealed class LocalApiException : Exception
{
    public LocalApiException(int status, string message, Exception? inner = null) : base(message, inner) => Status = status;

    public LocalApiException()
    {
    }

    public LocalApiException(string message) : base(message)
    {
    }

    public LocalApiException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>The HTTP status of the daemon's answer; 0 when there was no answer.</summary>
    public int Status { get; }

    /// <summary>True when nothing answered on the socket (daemon not running, or no permission).</summary>
    public bool DaemonUnreachable => Status == 0;
}
