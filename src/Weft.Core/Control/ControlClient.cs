using System.Net.WebSockets;
using System.Text.Json;
using Weft.Core.Crypto;

namespace Weft.Core.Control;

/// <summary>
/// The node side of the control protocol: a WebSocket to /control/v1, the Noise channel keyed by the
/// machine key, then register and map requests. One instance per connection; the node daemon and tests use it.
/// </summary>
public sealed class ControlClient : IAsyncDisposable
{
    private readonly ControlChannel _channel;

    private ControlClient(ControlChannel channel) => _channel = channel;

    /// <summary>Fetches the server's public key (to pin on first contact) from <see cref="ControlProtocol.KeyPath"/>.</summary>
    public static async Task<Key32> FetchServerKeyAsync(HttpClient http, Uri server, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        var text = (await http.GetStringAsync(new Uri(server, ControlProtocol.KeyPath), ct).ConfigureAwait(false)).Trim();
        return Key32.TryParseHex(text, out var key) ? key : throw new ControlProtocolException("server key is not 64 hex digits");
    }

    /// <summary>Connects to <paramref name="server"/> (http or https) and runs the handshake.</summary>
    public static async Task<ControlClient> ConnectAsync(Uri server, Key32 machinePrivate, Key32 serverPublic, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var ws = new ClientWebSocket();
        var builder = new UriBuilder(new Uri(server, ControlProtocol.Path)) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        try
        {
            await ws.ConnectAsync(builder.Uri, ct).ConfigureAwait(false);
            var stream = WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: true);
            return new ControlClient(await ControlChannel.ConnectAsync(stream, machinePrivate, serverPublic, ct).ConfigureAwait(false));
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    /// <summary>Sends a registration and waits for its answer.</summary>
    public async Task<RegisterResponse> RegisterAsync(RegisterRequest request, CancellationToken ct = default)
    {
        await SendAsync(new ClientMessage { Register = request }, ct).ConfigureAwait(false);
        var reply = await ReceiveAsync(ct).ConfigureAwait(false);
        return reply?.Register ?? throw new ControlProtocolException(reply?.Error ?? "server closed the connection instead of answering the registration");
    }

    /// <summary>Sends a map request (stream=true starts the stream; later ones report endpoints and host info).</summary>
    public Task SendMapRequestAsync(MapRequest request, CancellationToken ct = default) => SendAsync(new ClientMessage { Map = request }, ct);

    /// <summary>The next map message; null when the server ended the stream.</summary>
    public async Task<MapResponse?> ReceiveMapAsync(CancellationToken ct = default)
    {
        var reply = await ReceiveAsync(ct).ConfigureAwait(false);
        if (reply is null)
        {
            return null;
        }

        return reply.Map ?? throw new ControlProtocolException(reply.Error ?? "server sent something other than a map");
    }

    private Task SendAsync(ClientMessage message, CancellationToken ct) =>
        _channel.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ClientMessage), ct);

    private async Task<ServerMessage?> ReceiveAsync(CancellationToken ct)
    {
        var frame = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        return frame is null ? null : ControlJsonContext.TryParseServer(frame) ?? throw new ControlProtocolException("server message is not valid JSON");
    }

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}
