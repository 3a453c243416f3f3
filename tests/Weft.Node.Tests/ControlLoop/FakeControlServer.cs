using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Node.Tests.ControlLoop;

/// <summary>
/// A coordination server reduced to the control protocol: Noise over a WebSocket on loopback, registrations
/// answered by a test-supplied function, and map streams fed from a channel the test writes to.
/// </summary>
internal sealed class FakeControlServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Key32 _private = Curve25519.GeneratePrivateKey();
    private readonly SemaphoreSlim _mapRequestSignal = new(0);
    private int _connections;

    private FakeControlServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public Key32 PublicKey => Curve25519.PublicKey(_private);

    /// <summary>Answers each registration; defaults to authorizing everything.</summary>
    public Func<RegisterRequest, RegisterResponse> OnRegister { get; set; } = _ => new RegisterResponse { Authorized = true, Login = "alice@example.com" };

    /// <summary>When set, a map request is answered with this protocol error instead of a stream (then cleared).</summary>
    public string? MapError { get; set; }

    /// <summary>Messages to stream to the connected node, in order; completing a message of null ends the stream.</summary>
    public Channel<MapResponse?> Maps { get; } = Channel.CreateUnbounded<MapResponse?>();

    public ConcurrentQueue<RegisterRequest> Registrations { get; } = new();

    public ConcurrentQueue<MapRequest> MapRequests { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Waits for a map request matching <paramref name="match"/>; each arrival wakes the check.</summary>
    public async Task<MapRequest> WaitForMapRequestAsync(Func<MapRequest, bool> match, TimeSpan guard)
    {
        using var timeout = new CancellationTokenSource(guard);
        while (true)
        {
            if (MapRequests.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            await _mapRequestSignal.WaitAsync(timeout.Token);
        }
    }

    public static async Task<FakeControlServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeControlServer(app);
        app.UseWebSockets();
        app.MapGet(ControlProtocol.KeyPath, () => server.PublicKey.ToHex());
        app.Map(ControlProtocol.Path, server.ServeAsync);
        await app.StartAsync();
        server.Url = new Uri(app.Urls.First());
        return server;
    }

    private async Task ServeAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        Interlocked.Increment(ref _connections);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await using var channel = await ControlChannel.AcceptAsync(stream, _private, context.RequestAborted);
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        Task? pump = null;
        try
        {
            while (await channel.ReceiveAsync(end.Token) is { } frame)
            {
                var message = ControlJsonContext.TryParseClient(frame)!;
                if (message.Register is { } register)
                {
                    Registrations.Enqueue(register);
                    await SendAsync(channel, new ServerMessage { Register = OnRegister(register) }, end.Token);
                }
                else if (message.Map is { } map)
                {
                    MapRequests.Enqueue(map);
                    _mapRequestSignal.Release();
                    if (MapError is { } error)
                    {
                        MapError = null;
                        await SendAsync(channel, new ServerMessage { Error = error }, end.Token);
                        return;
                    }
                    // The stream is written alongside: the node may keep sending endpoint updates on it.
                    pump ??= map.Stream ? PumpAsync(channel, end) : null;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or WebSocketException or ControlProtocolException)
        {
            // The node went away, or the test ended the stream.
        }
        finally
        {
            await end.CancelAsync();
            if (pump is not null)
            {
                await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Sends the queued map messages; a null ends the connection.</summary>
    private async Task PumpAsync(ControlChannel channel, CancellationTokenSource end)
    {
        try
        {
            await foreach (var response in Maps.Reader.ReadAllAsync(end.Token))
            {
                if (response is null)
                {
                    break;
                }
                await SendAsync(channel, new ServerMessage { Map = response }, end.Token);
            }
        }
        finally
        {
            await end.CancelAsync();
        }
    }

    private static Task SendAsync(ControlChannel channel, ServerMessage message, CancellationToken ct) =>
        channel.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ServerMessage), ct);

    public async ValueTask DisposeAsync()
    {
        Maps.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
