using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.LoadGen;

/// <summary>
/// One lightweight node: its own machine and node keys, one WebSocket with the Noise channel, registration
/// with an auth key, and a map stream it keeps reading. Map frames are not deserialized (a 10,000-peer map
/// is megabytes): the node only measures them and hands them to the <see cref="ProbeBoard"/>.
/// </summary>
internal sealed class SimNode : IAsyncDisposable
{
    /// <summary>Bytes of the WebSocket's own buffers: small, because there are thousands of nodes in one process.</summary>
    private const int SocketBuffer = 4096;

    private static readonly byte[] SelfField = Encoding.UTF8.GetBytes("\"self\"");

    private readonly ControlChannel _channel;
    private readonly string _nodeKey;
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;

    private SimNode(int index, ControlChannel channel, string nodeKey)
    {
        Index = index;
        _channel = channel;
        _nodeKey = nodeKey;
    }

    public int Index { get; }

    /// <summary>Wire size of the first (full) map.</summary>
    public int FirstMapBytes { get; private set; }

    /// <summary>Why the map stream ended, or null while it runs.</summary>
    public string? Ended { get; private set; }

    /// <summary>Connects, registers with <paramref name="authKey"/>, opens the map stream and reads the full map.</summary>
    /// <exception cref="ControlProtocolException">The server refused or answered something unexpected; the message says what.</exception>
    public static async Task<SimNode> JoinAsync(int index, Uri server, Key32 serverKey, string authKey, CancellationToken ct)
    {
        var machine = Curve25519.GeneratePrivateKey();
        var nodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString();
        var ws = new ClientWebSocket();
        ws.Options.SetBuffer(SocketBuffer, SocketBuffer);
        ControlChannel? channel = null;
        try
        {
            var uri = new UriBuilder(new Uri(server, ControlProtocol.Path)) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
            await ws.ConnectAsync(uri, ct).ConfigureAwait(false);
            var stream = WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: true);
            channel = await ControlChannel.ConnectAsync(stream, machine, serverKey, ct).ConfigureAwait(false);
            var node = new SimNode(index, channel, nodeKey);
            await node.SendAsync(new ClientMessage
            {
                Register = new RegisterRequest { NodeKey = nodeKey, AuthKey = authKey, HostInfo = new HostInfo { Hostname = $"load-{index}", OS = "linux", ClientVersion = "loadgen" } },
            }, ct).ConfigureAwait(false);
            var reply = await channel.ReceiveAsync(ct).ConfigureAwait(false);
            var register = reply is null ? null : ControlJsonContext.TryParseServer(reply);
            if (register?.Register is not { Authorized: true })
            {
                throw new ControlProtocolException($"registration refused: {register?.Register?.Error ?? register?.Error ?? "connection closed"}");
            }

            await node.SendAsync(new ClientMessage { Map = new MapRequest { NodeKey = nodeKey, Stream = true, DiscoKey = "discokey:" + new string('0', 64) } }, ct).ConfigureAwait(false);
            var first = await channel.ReceiveAsync(ct).ConfigureAwait(false);
            if (first is null || first.AsSpan().IndexOf(SelfField) < 0)
            {
                throw new ControlProtocolException($"first map message has no self node: {Preview(first)}");
            }

            node.FirstMapBytes = WireSize(first);
            return node;
        }
        catch
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                ws.Dispose();
            }

            throw;
        }
    }

    /// <summary>Starts reading the map stream in the background, reporting every frame to <paramref name="board"/>.</summary>
    public void StartReading(ProbeBoard board) => _reader = ReadLoopAsync(board);

    /// <summary>Reports new endpoints, as a node does after its path discovery finds them.</summary>
    public Task SendEndpointsAsync(string endpoint, CancellationToken ct) =>
        SendAsync(new ClientMessage { Map = new MapRequest { NodeKey = _nodeKey, Endpoints = [endpoint] } }, ct);

    private async Task ReadLoopAsync(ProbeBoard board)
    {
        try
        {
            while (true)
            {
                var frame = await _channel.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    Ended = "server ended the stream";
                    return;
                }

                board.OnFrame(Index, frame, WireSize(frame));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Ended = "stopped";
        }
        catch (Exception ex) when (ex is ControlProtocolException or IOException or WebSocketException)
        {
            Ended = ex.Message;
        }
    }

    private Task SendAsync(ClientMessage message, CancellationToken ct) =>
        _channel.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ClientMessage), ct);

    /// <summary>What the frame cost on the channel: length prefix, ciphertext and tag.</summary>
    private static int WireSize(byte[] plaintext) => ControlProtocol.LengthPrefix + plaintext.Length + Aead.TagLength;

    private static string Preview(byte[]? frame) =>
        frame is null ? "connection closed" : Encoding.UTF8.GetString(frame, 0, Math.Min(frame.Length, 200));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        if (_reader is not null)
        {
            await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}
