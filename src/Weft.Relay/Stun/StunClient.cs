using System.Net;
using System.Net.Sockets;

namespace Weft.Relay.Stun;

/// <summary>
/// The client half of STUN Binding for a node: remembers the transaction ids it sent and accepts only responses
/// that carry one of them (a stranger's response, or a forged one without the random id, is ignored and counted).
/// Works on any socket, including the node's one UDP socket that also carries WireGuard. Thread-safe.
/// </summary>
public sealed class StunClient
{
    // Our choice: a node asks a handful of relays at once; more outstanding requests than this means they are stale.
    private const int MaxPending = 64;

    /// <summary>_gate guards _pending.</summary>
    private readonly Lock _gate = new();
    private readonly List<TransactionId> _pending = [];
    private long _strangers;

    /// <summary>Responses ignored because their transaction id was not one we sent (or was already answered).</summary>
    public long Strangers => Interlocked.Read(ref _strangers);

    /// <summary>Writes a fresh Binding request into <paramref name="destination"/> and remembers its id; returns its length.</summary>
    public int CreateRequest(Span<byte> destination, out TransactionId transaction)
    {
        transaction = TransactionId.NewRandom();
        lock (_gate)
        {
            if (_pending.Count >= MaxPending)
            {
                _pending.RemoveAt(0);
            }

            _pending.Add(transaction);
        }

        return StunMessage.WriteBindingRequest(destination, transaction);
    }

    /// <summary>
    /// Accepts a Binding success response to one of our requests and returns the address the server saw; false for
    /// anything else (not STUN, bad FINGERPRINT, unknown transaction id, no mapped address). Each id is answered once.
    /// </summary>
    public bool TryAcceptResponse(ReadOnlySpan<byte> datagram, out TransactionId transaction, out IPEndPoint mapped)
    {
        mapped = null!;
        if (!StunMessage.TryParseHeader(datagram, out var type, out transaction)
            || type != StunConstants.BindingSuccess
            || StunMessage.CheckFingerprint(datagram) == FingerprintCheck.Invalid
            || !StunMessage.TryReadMappedAddress(datagram, out mapped))
        {
            return false;
        }

        lock (_gate)
        {
            if (_pending.Remove(transaction))
            {
                return true;
            }
        }

        Interlocked.Increment(ref _strangers);
        mapped = null!;
        return false;
    }

    /// <summary>
    /// Asks <paramref name="server"/> for our reflexive address from <paramref name="socket"/>: retransmits per RFC 8489
    /// (500 ms doubling) up to <paramref name="attempts"/> times, ignoring datagrams from elsewhere and strangers' answers.
    /// </summary>
    /// <exception cref="TimeoutException">No matching response arrived.</exception>
    public async Task<IPEndPoint> QueryAsync(Socket socket, IPEndPoint server, int attempts = 3, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(server);
        var request = new byte[StunConstants.MaxMessageLength];
        var receive = new byte[StunConstants.MaxMessageLength];
        var length = CreateRequest(request, out var transaction);
        var rto = StunConstants.InitialRto;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            await socket.SendToAsync(request.AsMemory(0, length), SocketFlags.None, server, ct).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(rto);
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveFromAsync(receive, SocketFlags.None, server, wait.Token).ConfigureAwait(false);
                    if (result.RemoteEndPoint is IPEndPoint from && Same(from, server)
                        && TryAcceptResponse(receive.AsSpan(0, result.ReceivedBytes), out var answered, out var mapped) && answered == transaction)
                    {
                        return mapped;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                rto *= 2;
            }
        }

        lock (_gate)
        {
            _pending.Remove(transaction);
        }

        throw new TimeoutException($"no STUN answer from {server} after {attempts} attempts");
    }

    private static bool Same(IPEndPoint a, IPEndPoint b)
    {
        var x = a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address;
        var y = b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address;
        return a.Port == b.Port && x.Equals(y);
    }
}
