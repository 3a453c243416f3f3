using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Weft.Relay.Stun;

/// <summary>
/// Answers STUN Binding requests on one UDP socket with the address they came from (XOR-MAPPED-ADDRESS), so nodes
/// learn their public address and how their NAT maps. No authentication: the answer is what any observer of the
/// packet could see. Anything else (responses, indications, non-STUN, bad FINGERPRINT) is dropped and counted.
/// Requests with attributes we do not know are still answered, as NAT discovery servers commonly do.
/// </summary>
public sealed partial class StunResponder : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private long _requests;
    private long _dropped;

    private StunResponder(Socket socket, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The bound address and port (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binding requests answered.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Datagrams dropped: not STUN, not a Binding request, or a bad FINGERPRINT.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Listens on every address on <paramref name="port"/> (IPv6 and IPv4 on one dual-mode socket, IPv4 alone where IPv6 is off).</summary>
    public static StunResponder Start(int port, ILogger logger)
    {
        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
        }

        return new StunResponder(socket, logger);
    }

    /// <summary>Listens on one address (tests bind loopback, port 0).</summary>
    public static StunResponder Start(IPEndPoint bind, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(bind);
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(bind);
        return new StunResponder(socket, logger);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var receive = new byte[StunConstants.MaxMessageLength];
        var send = new byte[StunConstants.MaxMessageLength];
        var from = new SocketAddress(_socket.AddressFamily);
        var template = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await _socket.ReceiveFromAsync(receive, SocketFlags.None, from, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException) when (ct.IsCancellationRequested)
            {
                // Disposing the socket aborts the pending receive (OperationAborted): that is a stop, not an error.
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // ICMP errors from earlier sends and oversized datagrams: neither stops the responder.
                Interlocked.Increment(ref _dropped);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            var request = receive.AsSpan(0, n);
            if (!StunMessage.TryParseHeader(request, out var type, out var transaction)
                || type != StunConstants.BindingRequest
                || StunMessage.CheckFingerprint(request) == FingerprintCheck.Invalid)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            var source = (IPEndPoint)template.Create(from);
            var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
            var length = StunMessage.WriteBindingSuccess(send, transaction, address, source.Port);
            // Counted before the send: the client may read the answer (and a test this counter) before SendToAsync returns.
            Interlocked.Increment(ref _requests);
            try
            {
                await _socket.SendToAsync(send.AsMemory(0, length), SocketFlags.None, from, ct).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                Interlocked.Decrement(ref _requests);
                Interlocked.Increment(ref _dropped);
                LogSendFailed(source, ex.SocketErrorCode);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the point.
        }

        _stop.Dispose();
    }
}
