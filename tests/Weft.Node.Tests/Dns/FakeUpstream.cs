using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.Tests.Dns;

/// <summary>How <see cref="FakeUpstream"/> behaves toward the queries it gets.</summary>
internal enum UpstreamBehaviour
{
    /// <summary>Answers every query with one A record (192.0.2.1).</summary>
    Answer,

    /// <summary>Never answers.</summary>
    Silent,

    /// <summary>Over UDP answers with TC set and no records; over TCP answers in full.</summary>
    TruncateUdp,

    /// <summary>First sends a reply with a wrong id and one with a wrong question, then the right one.</summary>
    SpoofFirst,

    /// <summary>Answers with 40 A records: more than 512 bytes.</summary>
    Big,
}

/// <summary>A nameserver on loopback (UDP and TCP on one port) for forwarding tests; records what it received.</summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    public FakeUpstream(UpstreamBehaviour behaviour, string answerAddress = "192.0.2.1", uint ttl = 30)
    {
        Behaviour = behaviour;
        Ttl = ttl;
        AnswerAddress = IPAddress.Parse(answerAddress);
        // The kernel picks the UDP port; TCP may have given that port to a connection already, so retry.
        while (true)
        {
            _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Endpoint = (IPEndPoint)_udp.LocalEndPoint!;
            _tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                _tcp.Bind(Endpoint);
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                _tcp.Dispose();
                _udp.Dispose();
            }
        }
        _tcp.Listen(8);
        _udpLoop = Task.Run(ServeUdpAsync);
        _tcpLoop = Task.Run(ServeTcpAsync);
    }

    public UpstreamBehaviour Behaviour { get; }

    /// <summary>TTL of the A records it answers with.</summary>
    public uint Ttl { get; }

    public IPAddress AnswerAddress { get; }

    public IPEndPoint Endpoint { get; }

    /// <summary>Ids of the queries received over UDP, in order.</summary>
    public ConcurrentQueue<ushort> UdpQueryIds { get; } = new();

    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    private int _tcpQueries;

    /// <summary>Released once per UDP query received.</summary>
    public SemaphoreSlim QueryArrived { get; } = new(0);

    /// <summary>Completes when the first UDP query arrives.</summary>
    public TaskCompletionSource FirstQuery { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            UdpQueryIds.Enqueue(BinaryPrimitives.ReadUInt16BigEndian(query));
            FirstQuery.TrySetResult();
            QueryArrived.Release();
            foreach (var reply in Replies(query, overTcp: false))
            {
                await _udp.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint);
            }
        }
    }

    private async Task ServeTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _tcp.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            using (client)
            {
                try
                {
                    var prefix = new byte[2];
                    await client.ReceiveAsync(prefix, SocketFlags.None);
                    var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    var read = 0;
                    while (read < query.Length)
                    {
                        read += await client.ReceiveAsync(query.AsMemory(read), SocketFlags.None);
                    }
                    Interlocked.Increment(ref _tcpQueries);
                    foreach (var reply in Replies(query, overTcp: true))
                    {
                        var framed = new byte[reply.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                        reply.CopyTo(framed, 2);
                        await client.SendAsync(framed, SocketFlags.None);
                    }
                }
                catch (SocketException)
                {
                    // The client went away.
                }
            }
        }
    }

    private IEnumerable<byte[]> Replies(byte[] query, bool overTcp)
    {
        switch (Behaviour)
        {
            case UpstreamBehaviour.Silent:
                yield break;
            case UpstreamBehaviour.TruncateUdp when !overTcp:
                yield return Reply(query, records: 0, truncated: true);
                yield break;
            case UpstreamBehaviour.SpoofFirst:
                var wrongId = Reply(query, records: 1, truncated: false);
                wrongId[0] ^= 0xFF;
                yield return wrongId;
                var wrongQuestion = Reply(query, records: 1, truncated: false);
                wrongQuestion[13] ^= 0x01; // first letter of the name
                yield return wrongQuestion;
                yield return Reply(query, records: 1, truncated: false);
                yield break;
            case UpstreamBehaviour.Big:
                yield return Reply(query, records: 40, truncated: false);
                yield break;
            default:
                yield return Reply(query, records: 1, truncated: false);
                yield break;
        }
    }

    /// <summary>Echoes header and question, adds A records pointing at the question name.</summary>
    private byte[] Reply(byte[] query, int records, bool truncated)
    {
        var nameEnd = 12;
        while (query[nameEnd] != 0)
        {
            nameEnd += 1 + query[nameEnd];
        }
        var questionEnd = nameEnd + 5;
        var reply = new List<byte>(query[..questionEnd]);
        reply[2] = (byte)(0x80 | (query[2] & 0x01) | (truncated ? 0x02 : 0));
        reply[3] = 0x80;
        reply[6] = (byte)(records >> 8);
        reply[7] = (byte)records;
        reply[8] = reply[9] = reply[10] = reply[11] = 0;
        var address = AnswerAddress.GetAddressBytes();
        for (var i = 0; i < records; i++)
        {
            reply.AddRange([0xC0, 0x0C, 0, 1, 0, 1, (byte)(Ttl >> 24), (byte)(Ttl >> 16), (byte)(Ttl >> 8), (byte)Ttl, 0, 4]);
            reply.AddRange(address);
        }
        return [.. reply];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop);
        _stop.Dispose();
        QueryArrived.Dispose();
    }
}
