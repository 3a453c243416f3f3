using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Weft.DnsBench;

/// <summary>
/// Keeps a fixed window of UDP queries in flight per client thread and counts the answers. Queries are built
/// once and sent from reused buffers, so the generator itself allocates nothing while it runs and the
/// process's allocation count is the resolver's.
/// </summary>
internal sealed class LoadGenerator
{
    private readonly IPEndPoint _server;
    private readonly byte[][] _queries;
    private readonly int _clients;
    private readonly int _window;

    public LoadGenerator(IPEndPoint server, byte[][] queries, int clients, int window)
    {
        _server = server;
        _queries = queries;
        _clients = clients;
        _window = window;
    }

    /// <summary>Runs for <paramref name="duration"/> and returns the answers received and the lost (timed out) queries.</summary>
    public (long Answers, long Lost) Run(TimeSpan duration)
    {
        long answers = 0, lost = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var threads = new Thread[_clients];
        for (var c = 0; c < _clients; c++)
        {
            var offset = c;
            threads[c] = new Thread(() =>
            {
                var (a, l) = RunClient(offset, deadline);
                Interlocked.Add(ref answers, a);
                Interlocked.Add(ref lost, l);
            }) { IsBackground = true, Name = $"dns-load-{c}" };
            threads[c].Start();
        }
        foreach (var thread in threads)
        {
            thread.Join();
        }
        return (answers, lost);
    }

    private (long Answers, long Lost) RunClient(int offset, long deadline)
    {
        using var socket = new Socket(_server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(_server);
        socket.ReceiveTimeout = 1000;
        var receive = new byte[2048];
        var queries = new byte[_queries.Length][];
        for (var i = 0; i < queries.Length; i++)
        {
            queries[i] = (byte[])_queries[i].Clone();
        }
        long answers = 0, lost = 0;
        var next = offset;
        void SendNext()
        {
            var query = queries[next++ % queries.Length];
            BinaryPrimitives.WriteUInt16BigEndian(query, (ushort)next);
            socket.Send(query);
        }
        for (var i = 0; i < _window; i++)
        {
            SendNext();
        }
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                var length = socket.Receive(receive);
                if (length >= 12 && (receive[3] & 0x0F) is 0 or 3)
                {
                    answers++;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                // The whole window was lost (socket buffers overflowed): refill it.
                lost += _window;
                for (var i = 0; i < _window; i++)
                {
                    SendNext();
                }
                continue;
            }
            SendNext();
        }
        return (answers, lost);
    }
}
