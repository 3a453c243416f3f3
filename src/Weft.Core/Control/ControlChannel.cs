using System.Buffers;
using System.Buffers.Binary;
using Weft.Core.Crypto;

namespace Weft.Core.Control;

/// <summary>
/// The encrypted, authenticated control channel over any ordered byte stream (a WebSocket stream in
/// production, a pipe in tests): a Noise IK handshake, then frames of [32-bit big-endian length][ciphertext].
/// One reader and any number of writers at a time.
/// </summary>
public sealed class ControlChannel : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly ControlCipher _send;
    private readonly ControlCipher _receive;

    /// <summary>_sendGate guards _send and writes to _stream.</summary>
    private readonly SemaphoreSlim _sendGate = new(1, 1);

    private ControlChannel(Stream stream, ControlCipher send, ControlCipher receive, in Key32 remoteStatic)
    {
        _stream = stream;
        _send = send;
        _receive = receive;
        RemoteStatic = remoteStatic;
    }

    /// <summary>The peer's static key: the server's for a client, the node's machine key for the server.</summary>
    public Key32 RemoteStatic { get; }

    /// <summary>Client side: proves <paramref name="machinePrivate"/> to the server holding <paramref name="serverPublic"/>.</summary>
    public static async Task<ControlChannel> ConnectAsync(Stream stream, Key32 machinePrivate, Key32 serverPublic, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var noise = NoiseIK.Initiator(machinePrivate, serverPublic);
        await WriteFrameAsync(stream, noise.WriteMessage1(NoiseIK.VersionPayload(ControlProtocol.Version)), ct).ConfigureAwait(false);
        var reply = await ReadFrameAsync(stream, ControlProtocol.MaxHandshakeMessage, ct).ConfigureAwait(false)
            ?? throw new ControlProtocolException("server closed the connection during the handshake");
        if (!noise.TryReadMessage2(reply, out var payload))
        {
            throw new ControlProtocolException("server handshake does not authenticate: wrong server key or tampered message");
        }

        if (payload.Length != 2 || BinaryPrimitives.ReadUInt16BigEndian(payload) != ControlProtocol.Version)
        {
            throw new ControlProtocolException("server answered with an unsupported protocol version");
        }

        var (send, receive) = noise.Split();
        return new ControlChannel(stream, send, receive, serverPublic);
    }

    /// <summary>Server side: authenticates the node's machine key (see <see cref="RemoteStatic"/>).</summary>
    public static async Task<ControlChannel> AcceptAsync(Stream stream, Key32 serverPrivate, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var noise = NoiseIK.Responder(serverPrivate);
        var hello = await ReadFrameAsync(stream, ControlProtocol.MaxHandshakeMessage, ct).ConfigureAwait(false)
            ?? throw new ControlProtocolException("client closed the connection before its handshake");
        if (!noise.TryReadMessage1(hello, out var payload))
        {
            throw new ControlProtocolException("client handshake does not authenticate: wrong server key, bad machine key or tampered message");
        }

        if (payload.Length != 2 || BinaryPrimitives.ReadUInt16BigEndian(payload) != ControlProtocol.Version)
        {
            throw new ControlProtocolException("client proposed an unsupported protocol version");
        }

        await WriteFrameAsync(stream, noise.WriteMessage2(NoiseIK.VersionPayload(ControlProtocol.Version)), ct).ConfigureAwait(false);
        var remote = noise.RemoteStatic;
        var (send, receive) = noise.Split();
        return new ControlChannel(stream, send, receive, remote);
    }

    /// <summary>Encrypts and sends one message.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken ct = default)
    {
        if (message.Length > ControlProtocol.MaxFramePlaintext)
        {
            throw new ArgumentException($"a control message is at most {ControlProtocol.MaxFramePlaintext} bytes, not {message.Length}", nameof(message));
        }

        var total = ControlProtocol.LengthPrefix + message.Length + Aead.TagLength;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        await _sendGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer, message.Length + Aead.TagLength);
            _send.Seal(message.Span, buffer.AsSpan(ControlProtocol.LengthPrefix));
            await _stream.WriteAsync(buffer.AsMemory(0, total), ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Receives and decrypts one message; null when the peer closed the stream cleanly between frames.</summary>
    /// <exception cref="ControlProtocolException">A frame is oversized, truncated or does not authenticate; the channel is then unusable.</exception>
    public async Task<byte[]?> ReceiveAsync(CancellationToken ct = default)
    {
        var frame = await ReadFrameAsync(_stream, ControlProtocol.MaxFramePlaintext + Aead.TagLength, ct).ConfigureAwait(false);
        if (frame is null)
        {
            return null;
        }

        if (frame.Length < Aead.TagLength)
        {
            throw new ControlProtocolException($"control frame of {frame.Length} bytes is shorter than its tag");
        }

        var plaintext = new byte[frame.Length - Aead.TagLength];
        if (!_receive.TryOpen(frame, plaintext))
        {
            throw new ControlProtocolException($"control frame {_receive.Counter} does not authenticate");
        }

        return plaintext;
    }

    private static async Task WriteFrameAsync(Stream stream, byte[] body, CancellationToken ct)
    {
        var prefix = new byte[ControlProtocol.LengthPrefix];
        BinaryPrimitives.WriteInt32BigEndian(prefix, body.Length);
        await stream.WriteAsync(prefix, ct).ConfigureAwait(false);
        await stream.WriteAsync(body, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>One length-prefixed frame, null on a clean end of stream before its first byte.</summary>
    private static async Task<byte[]?> ReadFrameAsync(Stream stream, int maxLength, CancellationToken ct)
    {
        var prefix = new byte[ControlProtocol.LengthPrefix];
        var got = await stream.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < prefix.Length)
        {
            throw new ControlProtocolException("control stream ended inside a frame header");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < 0 || length > maxLength)
        {
            // Checked before allocating: a hostile length must not make us reserve gigabytes.
            throw new ControlProtocolException($"control frame of {length} bytes exceeds the limit of {maxLength}");
        }

        var body = new byte[length];
        if (await stream.ReadAtLeastAsync(body, length, throwOnEndOfStream: false, ct).ConfigureAwait(false) < length)
        {
            throw new ControlProtocolException($"control stream ended inside a frame of {length} bytes");
        }

        return body;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _sendGate.Dispose();
    }
}

/// <summary>The peer broke the control protocol: bad handshake, oversized or altered frame, wrong version.</summary>
public sealed class ControlProtocolException(string message) : Exception(message);
