using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

/// <summary>
/// One extra IPv4 UDP socket the hard-NAT side of a pair opens for birthday probing: each gets its own mapping through
/// the NAT towards the peer, so the peer's sprayed pings have many ports to hit. The socket whose mapping is hit
/// carries that peer's direct path from then on; the others are closed when the attempt ends.
/// </summary>
internal sealed class ProbeSocket : IDisposable
{
    /// <summary>Big enough for any WireGuard datagram over a 1280-byte tunnel, and for every disco message.</summary>
    private const int BufferSize = 2048;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sendGate = new();
    private UdpEndpoint _cachedDestination;
    private SocketAddress? _cachedAddress;
    private int _disposed;

    private ProbeSocket(Socket socket) => _socket = socket;

    /// <summary>Called for every datagram received: the bytes (valid during the call), the source, and this socket.</summary>
    public delegate void DatagramHandler(ReadOnlySpan<byte> datagram, UdpEndpoint from, ProbeSocket via);

    /// <summary>The local port (for logs).</summary>
    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Opens a socket on any IPv4 address and a port the kernel picks, and starts receiving into <paramref name="onDatagram"/>.</summary>
    public static ProbeSocket Open(DatagramHandler onDatagram)
    {
        ArgumentNullException.ThrowIfNull(onDatagram);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var probe = new ProbeSocket(socket);
        _ = probe.ReceiveLoopAsync(onDatagram);
        return probe;
    }

    /// <summary>Sends one datagram; errors (an unreachable network, a closed socket) drop it, as UDP would.</summary>
    public void Send(ReadOnlySpan<byte> datagram, UdpEndpoint to)
    {
        if (!to.IsIPv4 || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        SocketAddress address;
        lock (_sendGate)
        {
            // The winner sends to one peer endpoint for ever after: one address object, reused.
            if (_cachedAddress is null || _cachedDestination != to)
            {
                _cachedAddress = to.ToIPEndPoint().Serialize();
                _cachedDestination = to;
            }
            address = _cachedAddress;
        }
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, address);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Dropped: disco retries on the next heartbeat and WireGuard on its own timers.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync(DatagramHandler onDatagram)
    {
        var buffer = new byte[BufferSize];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP errors from earlier sends (port unreachable): the socket is still good.
                continue;
            }
            onDatagram(buffer.AsSpan(0, received), ToEndpoint(from), this);
        }
    }

    /// <summary>An IPv4 sockaddr (family, port big-endian, address) as an endpoint, without allocating.</summary>
    private static UdpEndpoint ToEndpoint(SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        return UdpEndpoint.FromIPv4(bytes.Slice(4, 4), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
    }
}
