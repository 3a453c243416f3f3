using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.Tests.PortMapping;

/// <summary>
/// A NAT-PMP/PCP gateway on loopback: every request is recorded and handed to a script that returns the
/// datagrams to send back (from the gateway, or from a stranger socket to test spoofing).
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _stranger = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<byte[], IEnumerable<(bool FromStranger, byte[] Datagram)>> _script;
    private readonly Task _loop;

    public FakeGateway(Func<byte[], IEnumerable<(bool FromStranger, byte[] Datagram)>> script)
    {
        _script = script;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public ConcurrentQueue<byte[]> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for a request.
        }
        _socket.Dispose();
        _stranger.Dispose();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[1500];
        while (!_stop.IsCancellationRequested)
        {
            var received = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            var request = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            Requests.Enqueue(request);
            foreach (var (fromStranger, datagram) in _script(request))
            {
                await (fromStranger ? _stranger : _socket).SendToAsync(datagram, received.RemoteEndPoint, _stop.Token);
            }
        }
    }
}
