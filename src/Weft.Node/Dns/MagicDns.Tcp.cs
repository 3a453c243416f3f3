using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Weft.Node.Dns;

public sealed partial class MagicDns
{
    /// <summary>Accepts TCP clients (RFC 7766), up to <see cref="DnsConstants.MaxTcpClients"/> at once.</summary>
    private async Task AcceptTcpAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(ct).ConfigureAwait(false);
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
                Log.ReceiveFailed(_logger, e.SocketErrorCode.ToString());
                continue;
            }
            if (Interlocked.Increment(ref _tcpClients) > DnsConstants.MaxTcpClients)
            {
                Interlocked.Decrement(ref _tcpClients);
                Interlocked.Increment(ref Counters._overloaded);
                client.Dispose();
                continue;
            }
            _ = ServeTcpClientAsync(client, ct);
        }
    }

    /// <summary>Answers length-prefixed queries on one connection, in order, until it closes or idles out.</summary>
    private async Task ServeTcpClientAsync(Socket client, CancellationToken ct)
    {
        // Both hold a 2-byte length prefix and then a message of up to 65535 bytes.
        var query = ArrayPool<byte>.Shared.Rent(DnsConstants.MaxTcpMessage + 2);
        var reply = ArrayPool<byte>.Shared.Rent(DnsConstants.MaxTcpMessage + 2);
        try
        {
            using (client)
            {
                while (!ct.IsCancellationRequested)
                {
                    int length;
                    using (var idle = new CancellationTokenSource(DnsConstants.TcpIdleTimeout, _options.TimeProvider))
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, idle.Token))
                    {
                        try
                        {
                            await DnsForwarder.ReadExactlyAsync(client, query.AsMemory(0, 2), linked.Token).ConfigureAwait(false);
                            length = BinaryPrimitives.ReadUInt16BigEndian(query);
                            await DnsForwarder.ReadExactlyAsync(client, query.AsMemory(0, length), linked.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            return; // idle: RFC 7766 6.2.3 lets the server close
                        }
                    }

                    var table = Volatile.Read(ref _table);
                    DnsDecision decision;
                    int replyLength;
                    DnsRoute? route;
                    try
                    {
                        decision = DnsResponder.Handle(table, query.AsSpan(0, length), overUdp: false, reply.AsSpan(2, DnsConstants.MaxTcpMessage), Counters, out replyLength, out route, _cache);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        Interlocked.Increment(ref Counters._dropped);
                        Log.HandlerFailed(_logger, e);
                        return;
                    }
                    if (decision == DnsDecision.Drop)
                    {
                        // A response or a runt on a stream: the peer is not speaking DNS to us.
                        return;
                    }
                    if (decision == DnsDecision.ReplyNoUpstream)
                    {
                        ReportNoUpstream(table);
                    }
                    if (decision == DnsDecision.Forward)
                    {
                        replyLength = await _forwarder.ForwardAsync(query.AsMemory(0, length), route!, DnsConstants.MaxTcpMessage, reply.AsMemory(2, DnsConstants.MaxTcpMessage), ct).ConfigureAwait(false);
                    }
                    BinaryPrimitives.WriteUInt16BigEndian(reply, (ushort)replyLength);
                    await client.SendAsync(reply.AsMemory(0, replyLength + 2), SocketFlags.None, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            Log.TcpClientClosed(_logger, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(reply);
            ArrayPool<byte>.Shared.Return(query);
            Interlocked.Decrement(ref _tcpClients);
        }
    }
}
