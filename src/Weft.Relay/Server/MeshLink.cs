using System.Buffers;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.Relay.Client;
using Weft.Relay.Protocol;

namespace Weft.Relay.Server;

/// <summary>
/// Our outgoing connection to another relay of the region: it tells us which nodes are connected there
/// (presence frames) and carries packets for them (forward frames). Redials with backoff while the relay runs.
/// </summary>
internal sealed partial class MeshLink : IAsyncDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly RelayServer _server;
    private readonly Uri _url;
    private readonly Key32 _privateKey;
    private readonly byte[] _meshKey;
    private readonly RelayServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private CancellationTokenSource? _stop;
    private Task _run = Task.CompletedTask;
    private volatile OutboundQueue? _queue;

    public MeshLink(RelayServer server, Uri url, Key32 privateKey, byte[] meshKey, RelayServerOptions options, ILogger logger, TimeProvider time)
    {
        _server = server;
        _url = url;
        _privateKey = privateKey;
        _meshKey = meshKey;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>The queue of frames for the peer while connected; null while down.</summary>
    public OutboundQueue? Queue => _queue;

    /// <summary>True while connected and authenticated.</summary>
    public bool IsUp => _queue is not null;

    public void Start(CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _run = RunAsync(_stop.Token);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var peerKey = await RelayTransport.FetchKeyAsync(_url, ct).ConfigureAwait(false);
                if (peerKey == _server.PublicKey)
                {
                    LogSelf(_url);
                    return;
                }

                await using var transport = await RelayTransport.ConnectAsync(_url, _privateKey, peerKey, ClientKind.Mesh, _meshKey, null, ct).ConfigureAwait(false);
                backoff = FirstBackoff;
                LogUp(_url);
                await RunConnectedAsync(transport, ct).ConfigureAwait(false);
                LogDown(_url, "closed by the peer");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RelayProtocolException or IOException or System.Net.Sockets.SocketException or HttpRequestException or OperationCanceledException)
            {
                LogDown(_url, ex.Message);
            }

            try
            {
                // Jittered so the relays of a region do not redial each other in lockstep after an outage.
                await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble()), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task RunConnectedAsync(RelayTransport transport, CancellationToken ct)
    {
        var queue = new OutboundQueue(_options.QueuePackets * 8, _options.PerSenderPackets, 1024);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var timer = _time.CreateTimer(static s => EnqueueKeepAlive((OutboundQueue)s!), queue, RelayConstants.KeepAliveInterval, RelayConstants.KeepAliveInterval);
        var writer = QueueWriter.PumpAsync(queue, transport.Stream, transport.Sealer, null, null, connected.Token);
        _queue = queue;
        try
        {
            await FrameLoop.RunAsync(transport.Reader, transport.Opener, static (link, type, in body) => link.Handle(type, body), this, null, _server.Metrics, connected.Token).ConfigureAwait(false);
        }
        finally
        {
            _queue = null;
            _server.RemoveAllRemote(this);
            await connected.CancelAsync().ConfigureAwait(false);
            queue.Close();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The connection is gone; queued forwards are dropped with it.
            }
        }
    }

    private bool Handle(FrameType type, in ReadOnlySequence<byte> body)
    {
        switch (type)
        {
            case FrameType.PeerPresent:
                _server.AddRemote(RelayConnection.ReadKey(body), this);
                return true;
            case FrameType.PeerGone:
                _server.RemoveRemote(RelayConnection.ReadKey(body), this);
                return true;
            case FrameType.KeepAlive or FrameType.Notice or FrameType.Pong or FrameType.Ping:
                return true;
            default:
                return false;
        }
    }

    private static void EnqueueKeepAlive(OutboundQueue queue)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(RelayConstants.FrameHeaderLength);
        Frame.WriteHeader(buffer, FrameType.KeepAlive, 0);
        if (queue.TryEnqueue(default, buffer, RelayConstants.FrameHeaderLength, control: true) != EnqueueResult.Queued)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stop, null) is not { } stop)
        {
            return;
        }

        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the point.
        }

        stop.Dispose();
    }
}
