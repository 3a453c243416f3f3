using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Weft.Node.Dns;

/// <summary>
/// Sends queries MagicDNS does not answer to upstream nameservers: UDP first, TCP when the UDP answer is
/// truncated, the next upstream when one fails, SERVFAIL when none answers in time. Each query goes out
/// under a fresh random id from a fresh connected socket (random source port), and only a reply with that
/// id and the same question is accepted, so an off-path attacker must guess 32 bits to spoof an answer.
/// </summary>
internal sealed partial class DnsForwarder
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly DnsCounters _counters;
    private readonly ILogger _logger;
    private readonly DnsCache? _cache;

    public DnsForwarder(TimeSpan timeout, TimeProvider time, DnsCounters counters, ILogger logger, DnsCache? cache = null)
    {
        _cache = cache;
        _timeout = timeout;
        _time = time;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>
    /// Forwards <paramref name="query"/> (already parsed as valid by the responder) and writes the reply for the
    /// client into <paramref name="reply"/>: the upstream's answer under the client's id, a TC reply when it
    /// exceeds <paramref name="replyLimit"/>, or SERVFAIL. Returns the reply length.
    /// </summary>
    public async Task<int> ForwardAsync(ReadOnlyMemory<byte> query, DnsRoute route, int replyLimit, Memory<byte> reply, CancellationToken ct)
    {
        var clientId = BinaryPrimitives.ReadUInt16BigEndian(query.Span);
        var questionEnd = DnsConstants.HeaderLength + DnsName.MeasureUncompressed(query.Span, DnsConstants.HeaderLength) + 4;
        var outgoing = ArrayPool<byte>.Shared.Rent(query.Length);
        var incoming = ArrayPool<byte>.Shared.Rent(DnsConstants.MaxTcpMessage + 2);
        try
        {
            query.CopyTo(outgoing);
            foreach (var upstream in route.Upstreams)
            {
                var upstreamId = (ushort)RandomNumberGenerator.GetInt32(0, 0x10000);
                BinaryPrimitives.WriteUInt16BigEndian(outgoing, upstreamId);
                var request = outgoing.AsMemory(0, query.Length);
                var question = query[DnsConstants.HeaderLength..questionEnd];
                int length;
                try
                {
                    length = await ExchangeUdpAsync(upstream, request, upstreamId, question, incoming, ct).ConfigureAwait(false);
                    if (length > 0 && (BinaryPrimitives.ReadUInt16BigEndian(incoming.AsSpan(2)) & DnsConstants.FlagTc) != 0)
                    {
                        // RFC 7766 / 1035 4.2.2: a truncated UDP answer is asked again over TCP.
                        Interlocked.Increment(ref _counters._forwardedOverTcp);
                        length = await ExchangeTcpAsync(upstream, request, upstreamId, question, incoming, ct).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    Log.UpstreamTimedOut(_logger, upstream, _timeout.TotalMilliseconds);
                    continue;
                }
                catch (SocketException e)
                {
                    Log.UpstreamFailed(_logger, upstream, e.SocketErrorCode.ToString());
                    continue;
                }
                catch (IOException e)
                {
                    Log.UpstreamFailed(_logger, upstream, e.Message);
                    continue;
                }
                if (length <= 0)
                {
                    continue;
                }
                Interlocked.Increment(ref _counters._forwarded);
                StoreInCache(query.Span, incoming.AsSpan(0, length));
                return ToClient(incoming.AsSpan(0, length), clientId, questionEnd, replyLimit, reply.Span);
            }
            Interlocked.Increment(ref _counters._upstreamFailures);
            return ServerFailure(query.Span, questionEnd, reply.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(incoming);
            ArrayPool<byte>.Shared.Return(outgoing);
        }
    }

    private void StoreInCache(ReadOnlySpan<byte> query, ReadOnlySpan<byte> response)
    {
        if (_cache is null || DnsQuery.Parse(query, out var parsed) != DnsParseStatus.Ok)
        {
            return;
        }
        Span<char> name = stackalloc char[DnsConstants.MaxNameLength];
        var nameLength = DnsName.ToLowerDotted(parsed.QuestionName, name);
        if (nameLength < 0)
        {
            return;
        }
        Span<char> key = stackalloc char[DnsConstants.MaxNameLength + DnsCache.KeySuffixLength];
        var keyLength = DnsCache.Key(name[..nameLength], parsed, key);
        _cache.Store(key[..keyLength], response);
    }

    /// <summary>The SERVFAIL reply to a query whose upstreams all failed.</summary>
    public static int ServerFailure(ReadOnlySpan<byte> query, int questionEnd, Span<byte> reply)
    {
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        var writer = new DnsWriter(reply, reply.Length);
        writer.Begin(
            BinaryPrimitives.ReadUInt16BigEndian(query),
            (ushort)(DnsConstants.FlagQr | DnsConstants.FlagRa | (flags & (DnsConstants.FlagRd | DnsConstants.FlagCd))),
            DnsConstants.RcodeServFail,
            query[DnsConstants.HeaderLength..questionEnd]);
        return writer.Finish();
    }

    private async Task<int> ExchangeUdpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> request, ushort id, ReadOnlyMemory<byte> question, byte[] incoming, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Connected: the kernel delivers only datagrams from the upstream's address and port to this socket.
        await socket.ConnectAsync(upstream, timeout.Token).ConfigureAwait(false);
        await socket.SendAsync(request, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        while (true)
        {
            var length = await socket.ReceiveAsync(incoming.AsMemory(0, DnsConstants.MaxTcpMessage), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (Matches(incoming.AsSpan(0, length), id, question.Span))
            {
                return length;
            }
            Interlocked.Increment(ref _counters._upstreamMismatched);
        }
    }

    private async Task<int> ExchangeTcpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> request, ushort id, ReadOnlyMemory<byte> question, byte[] incoming, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        using var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(upstream, timeout.Token).ConfigureAwait(false);
        var framed = ArrayPool<byte>.Shared.Rent(request.Length + 2);
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)request.Length);
            request.CopyTo(framed.AsMemory(2));
            await socket.SendAsync(framed.AsMemory(0, request.Length + 2), SocketFlags.None, timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(framed);
        }
        while (true)
        {
            await ReadExactlyAsync(socket, incoming.AsMemory(0, 2), timeout.Token).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadUInt16BigEndian(incoming);
            await ReadExactlyAsync(socket, incoming.AsMemory(0, length), timeout.Token).ConfigureAwait(false);
            if (Matches(incoming.AsSpan(0, length), id, question.Span))
            {
                return length;
            }
            Interlocked.Increment(ref _counters._upstreamMismatched);
        }
    }

    /// <summary>Reads exactly the buffer's length from a stream socket; an early close is an <see cref="IOException"/>.</summary>
    internal static async ValueTask ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("the peer closed the connection mid-message");
            }
            buffer = buffer[read..];
        }
    }

    /// <summary>A reply to our query: QR set, our id, and the question we asked (letter case aside).</summary>
    internal static bool Matches(ReadOnlySpan<byte> response, ushort id, ReadOnlySpan<byte> question)
    {
        if (response.Length < DnsConstants.HeaderLength + question.Length
            || BinaryPrimitives.ReadUInt16BigEndian(response) != id
            || (BinaryPrimitives.ReadUInt16BigEndian(response[2..]) & DnsConstants.FlagQr) == 0
            || BinaryPrimitives.ReadUInt16BigEndian(response[4..]) != 1)
        {
            return false;
        }
        return Ascii.EqualsIgnoreCase(response.Slice(DnsConstants.HeaderLength, question.Length), question);
    }

    /// <summary>The upstream's reply under the client's id; header and question only, with TC, when it is too big.</summary>
    private int ToClient(ReadOnlySpan<byte> response, ushort clientId, int questionEnd, int replyLimit, Span<byte> reply)
    {
        if (response.Length <= replyLimit && response.Length <= reply.Length)
        {
            response.CopyTo(reply);
            BinaryPrimitives.WriteUInt16BigEndian(reply, clientId);
            return response.Length;
        }
        Interlocked.Increment(ref _counters._truncated);
        response[..questionEnd].CopyTo(reply);
        BinaryPrimitives.WriteUInt16BigEndian(reply, clientId);
        BinaryPrimitives.WriteUInt16BigEndian(reply[2..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(response[2..]) | DnsConstants.FlagTc));
        reply.Slice(6, 6).Clear();
        return questionEnd;
    }
}
