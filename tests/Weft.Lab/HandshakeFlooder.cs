using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Core.Crypto;

namespace Weft.Lab;

/// <summary>
/// Sends forged handshake initiations that pass the mac1 check (anyone who knows the responder's public
/// key can compute it) but carry no mac2, the way a flood would, and counts the cookie replies that a
/// responder under load must answer with instead of doing Diffie-Hellman.
/// </summary>
public sealed class HandshakeFlooder : IDisposable
{
    // From the whitepaper: initiation is type 1, 148 bytes, mac1 covers the 116 bytes before it;
    // a cookie reply is type 3, 64 bytes, with the initiation's sender index as its receiver index.
    private const int InitiationLength = 148;
    private const int Mac1Offset = 116;
    private const int CookieReplyLength = 64;
    private const byte InitiationType = 1;
    private const byte CookieReplyType = 3;

    private readonly Socket _socket;
    private readonly IPEndPoint _target;
    private readonly byte[] _mac1Key = new byte[Blake2s.HashLength];
    private readonly uint _firstSenderIndex = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4)) & 0x7fff_ffff;
    private readonly TaskCompletionSource _firstCookieReply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sent;
    private int _cookieReplies;
    private int _otherReplies;

    /// <summary>Floods <paramref name="target"/> from <paramref name="socket"/> (which the flooder then owns) as if it knew <paramref name="responderPublicKey"/>.</summary>
    public HandshakeFlooder(Socket socket, IPEndPoint target, ReadOnlySpan<byte> responderPublicKey)
    {
        _socket = socket;
        _target = target;
        // mac1 key = HASH(LABEL_MAC1 || responder's static public key).
        Blake2s.Hash(_mac1Key, "mac1----"u8, responderPublicKey);
    }

    /// <summary>Initiations sent so far.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Well-formed cookie replies addressed to one of our sender indices.</summary>
    public int CookieReplies => Volatile.Read(ref _cookieReplies);

    /// <summary>Datagrams received that were not such cookie replies.</summary>
    public int OtherReplies => Volatile.Read(ref _otherReplies);

    /// <summary>Completes with the first valid cookie reply.</summary>
    public Task FirstCookieReply => _firstCookieReply.Task;

    /// <summary>Receives and classifies replies until the socket is disposed.</summary>
    public async Task ReceiveAsync()
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from).ConfigureAwait(false);
                length = result.ReceivedBytes;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            if (IsCookieReplyToUs(buffer.AsSpan(0, length)))
            {
                Interlocked.Increment(ref _cookieReplies);
                _firstCookieReply.TrySetResult();
            }
            else
            {
                Interlocked.Increment(ref _otherReplies);
            }
        }
    }

    /// <summary>Sends <paramref name="burst"/> forged initiations every <paramref name="period"/> until <paramref name="stop"/> is cancelled.</summary>
    public async Task FloodAsync(int burst, TimeSpan period, CancellationToken stop)
    {
        var packet = new byte[InitiationLength];
        using var pacing = new PeriodicTimer(period);
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < burst; i++)
            {
                // Count before sending: the reply can arrive before SendToAsync returns.
                var index = Interlocked.Increment(ref _sent) - 1;
                Forge(packet, _firstSenderIndex + (uint)index);
                await _socket.SendToAsync(packet, SocketFlags.None, _target, CancellationToken.None).ConfigureAwait(false);
            }
            try
            {
                await pacing.WaitForNextTickAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Closes the socket, which ends <see cref="ReceiveAsync"/>.</summary>
    public void Dispose() => _socket.Dispose();

    private void Forge(Span<byte> packet, uint senderIndex)
    {
        packet.Clear();
        packet[0] = InitiationType;
        BinaryPrimitives.WriteUInt32LittleEndian(packet[4..], senderIndex);
        // Ephemeral, encrypted static and timestamp: random bytes; the responder only gets that far after mac2.
        RandomNumberGenerator.Fill(packet[8..Mac1Offset]);
        Blake2s.Mac(packet.Slice(Mac1Offset, Blake2s.MacLength), _mac1Key, packet[..Mac1Offset]);
        // mac2 stays zero: we never hold a cookie.
    }

    private bool IsCookieReplyToUs(ReadOnlySpan<byte> packet)
    {
        if (packet.Length != CookieReplyLength || packet[0] != CookieReplyType || packet[1] != 0 || packet[2] != 0 || packet[3] != 0)
        {
            return false;
        }
        var receiver = BinaryPrimitives.ReadUInt32LittleEndian(packet[4..]);
        return receiver - _firstSenderIndex < (uint)Volatile.Read(ref _sent);
    }
}
