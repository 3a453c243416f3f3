using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.Tests.Dns;

/// <summary>Sends test queries to a running resolver over UDP or TCP.</summary>
internal static class DnsClient
{
    /// <summary>Guards against a hang; never a timing assertion.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    public static async Task<byte[]> UdpAsync(IPEndPoint server, byte[] query)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server);
        await socket.SendAsync(query, SocketFlags.None);
        var buffer = new byte[65535];
        using var guard = new CancellationTokenSource(Guard);
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
        return buffer[..length];
    }

    public static async Task<byte[]> TcpAsync(Socket connected, byte[] query)
    {
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await connected.SendAsync(framed, SocketFlags.None);
        using var guard = new CancellationTokenSource(Guard);
        var prefix = new byte[2];
        await ReadAsync(connected, prefix, guard.Token);
        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReadAsync(connected, reply, guard.Token);
        return reply;
    }

    public static async Task<Socket> ConnectTcpAsync(IPEndPoint server)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        return socket;
    }

    private static async Task ReadAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                throw new IOException("server closed the connection");
            }
            buffer = buffer[read..];
        }
    }
}
