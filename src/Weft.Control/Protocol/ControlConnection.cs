using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Control.Protocol;

/// <summary>
/// One node's control connection after the WebSocket upgrade: the Noise handshake, then register and map
/// requests. A map request with stream=true starts the node's stream; the reader keeps taking endpoint and
/// host-info updates while a writer drains the session's deltas.
/// </summary>
internal sealed partial class ControlConnection(ControlService service, Registrar registrar, Key32 serverKey, ILogger logger)
{
    /// <summary>
    /// Full maps being built and sent at once, across all connections. A full map of 10,000 nodes is about
    /// 6 MB, held three times over while it is written, encrypted and framed; 64 nodes joining at once held
    /// over a GiB. Building them one or two at a time costs no throughput: it is CPU work on a few cores.
    /// </summary>
    private static readonly SemaphoreSlim FullMaps = new(2, 2);

    /// <summary>
    /// How long a node waits for <see cref="FullMaps"/> before it goes ahead anyway: a peer that reads its map
    /// slowly holds its turn while it does, and must not stall every other node's join.
    /// </summary>
    private static readonly TimeSpan FullMapWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Large deltas being written and sent at once. A policy edit gives every session a frame at the same
    /// moment (at 10,000 nodes, 10,000 removals of about 60 KB each); written all at once, each held its
    /// buffers and the transport's until its node read it, and the server's peak grew by a GiB.
    /// </summary>
    private static readonly SemaphoreSlim LargeDeltas = new(16, 16);

    /// <summary>Deltas estimated at this size or more go through <see cref="LargeDeltas"/>.</summary>
    private const int LargeDelta = 32 * 1024;

    /// <summary>The newest client version to announce in full maps, or null.</summary>
    public string? LatestClientVersion { get; init; }

    public async Task RunAsync(Stream stream, Func<Task> closeOutput, CancellationToken ct)
    {
        ControlChannel channel;
        try
        {
            channel = await ControlChannel.AcceptAsync(stream, serverKey, ct).ConfigureAwait(false);
        }
        catch (ControlProtocolException ex)
        {
            LogHandshakeFailed(logger, ex.Message);
            return;
        }

        await using var _ = channel;
        var machineKey = new MachinePublic(channel.RemoteStatic).ToString();
        MapSession? session = null;
        TailnetMap? map = null;
        long tailnetId = 0;
        Task? writer = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var frame = await channel.ReceiveAsync(stop.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                var message = ControlJsonContext.TryParseClient(frame);
                if (message?.Register is { } register)
                {
                    var response = await registrar.RegisterAsync(machineKey, register, stop.Token).ConfigureAwait(false);
                    await SendAsync(channel, new ServerMessage { Register = response }, stop.Token).ConfigureAwait(false);
                }
                else if (message?.Map is { } request)
                {
                    var node = await service.Store.GetNodeByNodeKeyAsync(request.NodeKey, stop.Token).ConfigureAwait(false);
                    if (node is null || node.MachineKey != machineKey)
                    {
                        await SendAsync(channel, new ServerMessage { Error = "unknown node key" }, stop.Token).ConfigureAwait(false);
                        break;
                    }

                    if (request.HostInfo is { } info)
                    {
                        node = node with { HostInfo = NetmapBuilder.HostInfoJson(info), LastSeen = service.Time.GetUtcNow() };
                        node = await service.ApplyRequestedTagsAsync(node, info.RequestTags, stop.Token).ConfigureAwait(false);

                        // Routes first: once peers see the new host info, its routes are stored and approvable.
                        await service.ReportRoutesAsync(node, info.RoutableIPs, stop.Token).ConfigureAwait(false);
                        await service.UpdateNodeAsync(node, stop.Token).ConfigureAwait(false);
                    }

                    if (request.Endpoints is not null || request.DiscoKey is not null)
                    {
                        await service.UpdateEndpointsAsync(node, request.Endpoints, request.DiscoKey, stop.Token).ConfigureAwait(false);
                    }

                    if (request.Stream && session is null)
                    {
                        map = await service.MapAsync(node.TailnetId, stop.Token).ConfigureAwait(false);
                        tailnetId = node.TailnetId;
                        session = new MapSession(node.Id);
                        var gated = await FullMaps.WaitAsync(FullMapWait, stop.Token).ConfigureAwait(false);
                        try
                        {
                            var full = map.Attach(session) is { } attached ? attached with { LatestClientVersion = LatestClientVersion } : null;
                            if (full is null)
                            {
                                await SendAsync(channel, new ServerMessage { Error = "node is not authorized or its key expired" }, stop.Token).ConfigureAwait(false);
                                break;
                            }

                            service.OnTailnetChanged(tailnetId);
                            await SendMapAsync(channel, full, MapFrame.EstimateSize(full), stop.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            if (gated)
                            {
                                FullMaps.Release();
                            }
                        }

                        writer = PumpAsync(channel, session, closeOutput, stop);
                    }
                }
                else
                {
                    LogBadMessage(logger, machineKey);
                    await SendAsync(channel, new ServerMessage { Error = "message is not a register or map request" }, stop.Token).ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (ControlProtocolException ex)
        {
            LogProtocolError(logger, machineKey, ex.Message);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The node's session ended or the server is stopping.
        }
        catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException)
        {
            LogConnectionLost(logger, machineKey, ex.Message);
        }
        finally
        {
            if (session is not null)
            {
                map!.Detach(session);
                session.Close();
                service.OnTailnetChanged(tailnetId);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            if (writer is not null)
            {
                await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Writes queued deltas and keepalives until the session closes; then ends the connection.</summary>
    private async Task PumpAsync(ControlChannel channel, MapSession session, Func<Task> closeOutput, CancellationTokenSource stop)
    {
        var ended = false;
        try
        {
            using var keepAlive = service.Time.CreateTimer(_ => session.Enqueue(new MapResponse { KeepAlive = true }), null, ControlConstants.MapKeepAlive, ControlConstants.MapKeepAlive);
            await foreach (var response in session.Outbox.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await SendDeltaAsync(channel, response, stop.Token).ConfigureAwait(false);
            }

            ended = true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException)
        {
            // The connection is gone; the reader notices too.
        }
        finally
        {
            if (ended)
            {
                // A closed session (node deleted or expired) ends the connection with a clean close; the
                // reader then sees the node's close. Cancelling the reader instead would abort the socket.
                await closeOutput().ConfigureAwait(false);
            }
            else
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends a delta; a large one waits its turn (see <see cref="LargeDeltas"/>), kept compact until then.</summary>
    private static async Task SendDeltaAsync(ControlChannel channel, MapResponse response, CancellationToken ct)
    {
        var size = MapFrame.EstimateSize(response);
        var gated = size >= LargeDelta && await LargeDeltas.WaitAsync(FullMapWait, ct).ConfigureAwait(false);
        try
        {
            await SendMapAsync(channel, response, size, ct).ConfigureAwait(false);
        }
        finally
        {
            if (gated)
            {
                LargeDeltas.Release();
            }
        }
    }

    /// <summary>Sends one map frame written from the nodes' shared JSON (see <see cref="MapFrame"/>).</summary>
    private static async Task SendMapAsync(ControlChannel channel, MapResponse response, int sizeHint, CancellationToken ct)
    {
        using var buffer = new FrameBuffer(sizeHint);
        MapFrame.Write(buffer, response);
        await channel.SendAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
    }

    private static Task SendAsync(ControlChannel channel, ServerMessage message, CancellationToken ct) =>
        channel.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ServerMessage), ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "control handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "control message from {MachineKey} is malformed")]
    private static partial void LogBadMessage(ILogger logger, string machineKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "control protocol error from {MachineKey}: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string machineKey, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "control connection of {MachineKey} lost: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string machineKey, string reason);
}
