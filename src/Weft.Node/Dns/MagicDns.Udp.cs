using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.Dns;

public sealed partial class MagicDns
{
    /// <summary>
    /// One UDP listener: local answers are built and sent inline from buffers owned by this loop (no
    /// allocation per query); forwarded queries are handed to a task so a slow upstream never stalls it.
    /// </summary>
    private async Task ServeUdpAsync(Socket socket, CancellationToken ct)
    {
        // Big enough for any datagram, so an oversized query is seen at its true size and counted.
        var buffer = GC.AllocateUninitializedArray<byte>(0x10000, pinned: true);
        var reply = GC.AllocateUninitializedArray<byte>(DnsConstants.EdnsUdpSize, pinned: true);
        var from = new SocketAddress(socket.AddressFamily);
        while (!ct.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // ICMP errors from earlier sends surface here on some stacks; the socket is still good.
                Log.ReceiveFailed(_logger, e.SocketErrorCode.ToString());
                continue;
            }

            var table = Volatile.Read(ref _table);
            DnsDecision decision;
            int length;
            DnsRoute? route;
            try
            {
                decision = DnsResponder.Handle(table, buffer.AsSpan(0, received), overUdp: true, reply, Counters, out length, out route, _cache);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug must cost one query, not the resolver.
                Interlocked.Increment(ref Counters._dropped);
                Log.HandlerFailed(_logger, e);
                continue;
            }

            switch (decision)
            {
                case DnsDecision.ReplyNoUpstream:
                    ReportNoUpstream(table);
                    goto case DnsDecision.Reply;
                case DnsDecision.Reply:
                    await SendUdpAsync(socket, reply.AsMemory(0, length), from, ct).ConfigureAwait(false);
                    break;
                case DnsDecision.Forward:
                    if (Interlocked.Increment(ref _forwardsInFlight) > DnsConstants.MaxForwardsInFlight)
                    {
                        Interlocked.Decrement(ref _forwardsInFlight);
                        Interlocked.Increment(ref Counters._overloaded);
                        var failed = ServerFailure(buffer.AsSpan(0, received), reply);
                        await SendUdpAsync(socket, reply.AsMemory(0, failed), from, ct).ConfigureAwait(false);
                        break;
                    }
                    DnsQuery.Parse(buffer.AsSpan(0, received), out var query);
                    var limit = query.UdpReplyLimit;
                    var copy = ArrayPool<byte>.Shared.Rent(received);
                    buffer.AsSpan(0, received).CopyTo(copy);
                    var client = new SocketAddress(from.Family, from.Size);
                    from.Buffer.CopyTo(client.Buffer);
                    _ = ForwardUdpAsync(socket, copy, received, route!, limit, client, ct);
                    break;
            }
        }
    }

    private async Task ForwardUdpAsync(Socket socket, byte[] query, int length, DnsRoute route, int replyLimit, SocketAddress client, CancellationToken ct)
    {
        var reply = ArrayPool<byte>.Shared.Rent(DnsConstants.EdnsUdpSize);
        try
        {
            var replyLength = await _forwarder.ForwardAsync(query.AsMemory(0, length), route, replyLimit, reply.AsMemory(0, DnsConstants.EdnsUdpSize), ct).ConfigureAwait(false);
            await SendUdpAsync(socket, reply.AsMemory(0, replyLength), client, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.HandlerFailed(_logger, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(reply);
            ArrayPool<byte>.Shared.Return(query);
            Interlocked.Decrement(ref _forwardsInFlight);
        }
    }

    private async ValueTask SendUdpAsync(Socket socket, ReadOnlyMemory<byte> datagram, SocketAddress to, CancellationToken ct)
    {
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, to, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            Log.SendFailed(_logger, e.SocketErrorCode.ToString());
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }

    /// <summary>SERVFAIL for a query we will not forward now (it parsed as valid, so its question is readable).</summary>
    private static int ServerFailure(ReadOnlySpan<byte> query, Span<byte> reply)
    {
        var questionEnd = DnsConstants.HeaderLength + DnsName.MeasureUncompressed(query, DnsConstants.HeaderLength) + 4;
        return DnsForwarder.ServerFailure(query, questionEnd, reply);
    }
}
