using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Relay.Protocol;

/// <summary>What kind of client finished a handshake.</summary>
public enum ClientKind : byte
{
    /// <summary>A node: sends and receives packets under its node key.</summary>
    Node = 0,

    /// <summary>Another relay of the region, proven by the mesh key: watches presence and forwards packets.</summary>
    Mesh = 1,
}

/// <summary>What one side holds after a relay handshake: the peer's authenticated static key and the two frame ciphers.</summary>
/// <param name="RemoteKey">For the relay: the client's node key (or a mesh peer's relay key). For a client: the relay's key.</param>
/// <param name="Kind">What kind of client connected.</param>
/// <param name="Send">Seals the frames this side sends (the Noise transport key of its direction).</param>
/// <param name="Receive">Opens the frames this side receives.</param>
public sealed record RelaySession(Key32 RemoteKey, ClientKind Kind, ControlCipher Send, ControlCipher Receive);

/// <summary>
/// The relay handshake: one Noise IK exchange (Weft.Core's <see cref="NoiseIK"/>) in which the client's static
/// key is its node key and the responder's is the relay's key, so the relay learns an authenticated node key and
/// the client knows it reached the relay it was told about. It yields one transport cipher per direction, which
/// seals every later frame (so nobody on the path can inject, alter or replay one). Mesh peers then prove the
/// shared mesh key with an HMAC over the handshake hash, in sealed frames; the hash binds the proof to this one
/// exchange (a recorded proof replays nowhere).
/// </summary>
public static class RelayHandshake
{
    // Our choice. The payload starts with a magic that the control protocol's 2-byte payload never matches,
    // so a control handshake sent to a relay (or the reverse) fails even when both use the same server key.
    private static ReadOnlySpan<byte> Magic => "WRLY"u8;

    private const int PayloadLength = 7;

    private static ReadOnlySpan<byte> MeshClientLabel => "weft relay mesh client"u8;

    private static ReadOnlySpan<byte> MeshServerLabel => "weft relay mesh server"u8;

    /// <summary>Client side: proves <paramref name="clientPrivate"/> to the relay holding <paramref name="relayPublic"/>.</summary>
    /// <param name="meshKey">The region's mesh key; required when <paramref name="kind"/> is <see cref="ClientKind.Mesh"/>.</param>
    /// <returns>The session; its ciphers have sealed and opened the mesh proofs, if any, and go on from there.</returns>
    /// <exception cref="RelayProtocolException">The relay is not the one expected, refused us, or broke the protocol.</exception>
    public static async Task<RelaySession> ConnectAsync(Stream stream, PipeReader reader, Key32 clientPrivate, Key32 relayPublic, ClientKind kind, ReadOnlyMemory<byte> meshKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(reader);
        var noise = NoiseIK.Initiator(clientPrivate, relayPublic);
        await FrameIO.WriteAsync(stream, FrameType.ClientHello, noise.WriteMessage1(Payload(kind)), ct).ConfigureAwait(false);
        var reply = await FrameIO.ReadAsync(reader, RelayConstants.MaxHandshakeBody, ct).ConfigureAwait(false)
            ?? throw new RelayProtocolException("relay closed the connection during the handshake (it refused our key or is not a Weft relay)");
        if (reply.Type == FrameType.Notice)
        {
            throw new RelayProtocolException($"relay refused the handshake: {NoticeText(reply.Body)}");
        }

        if (reply.Type != FrameType.ServerHello || !noise.TryReadMessage2(reply.Body, out var payload) || !IsPayload(payload, out _))
        {
            throw new RelayProtocolException("relay handshake does not authenticate: wrong relay key or tampered message");
        }

        var hash = noise.HandshakeHash;
        var (send, receive) = noise.Split();
        var session = new RelaySession(relayPublic, kind, send, receive);
        if (kind != ClientKind.Mesh)
        {
            return session;
        }

        await FrameIO.WriteSealedAsync(stream, new FrameSealer(send), FrameType.MeshHello, MeshProof(meshKey.Span, MeshClientLabel, hash), ct).ConfigureAwait(false);
        var answer = await FrameIO.ReadSealedAsync(reader, new FrameOpener(receive), ct).ConfigureAwait(false);
        if (answer is not { Type: FrameType.MeshHello } a || !CryptographicOperations.FixedTimeEquals(a.Body, MeshProof(meshKey.Span, MeshServerLabel, hash)))
        {
            throw new RelayProtocolException("mesh peer does not hold our mesh key");
        }

        return session;
    }

    /// <summary>Relay side: authenticates the client's static key and kind.</summary>
    /// <param name="meshKey">This relay's mesh key, empty when it meshes with nobody (mesh clients are then refused).</param>
    /// <returns>The session; its ciphers have opened and sealed the mesh proofs, if any, and go on from there.</returns>
    /// <exception cref="RelayProtocolException">The client did not authenticate; nothing has been sent back except, for a wrong mesh key, nothing at all.</exception>
    public static async Task<RelaySession> AcceptAsync(Stream stream, PipeReader reader, Key32 relayPrivate, ReadOnlyMemory<byte> meshKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(reader);
        var hello = await FrameIO.ReadAsync(reader, RelayConstants.MaxHandshakeBody, ct).ConfigureAwait(false)
            ?? throw new RelayProtocolException("client closed the connection before its handshake");
        if (hello.Type != FrameType.ClientHello)
        {
            throw new RelayProtocolException($"expected a client hello, got frame type {(byte)hello.Type}");
        }

        var noise = NoiseIK.Responder(relayPrivate);
        if (!noise.TryReadMessage1(hello.Body, out var payload) || !IsPayload(payload, out var kind))
        {
            throw new RelayProtocolException($"client handshake does not authenticate: wrong relay key, bad client key or not the relay protocol (version {RelayConstants.Version})");
        }

        if (kind == ClientKind.Mesh && meshKey.IsEmpty)
        {
            throw new RelayProtocolException("a relay asked to mesh but this relay has no mesh key");
        }

        await FrameIO.WriteAsync(stream, FrameType.ServerHello, noise.WriteMessage2(Payload(ClientKind.Node)), ct).ConfigureAwait(false);
        var hash = noise.HandshakeHash;
        var (send, receive) = noise.Split();
        var session = new RelaySession(noise.RemoteStatic, kind, send, receive);
        if (kind == ClientKind.Mesh)
        {
            var proof = await FrameIO.ReadSealedAsync(reader, new FrameOpener(receive), ct).ConfigureAwait(false);
            if (proof is not { Type: FrameType.MeshHello } p || !CryptographicOperations.FixedTimeEquals(p.Body, MeshProof(meshKey.Span, MeshClientLabel, hash)))
            {
                throw new RelayProtocolException("mesh peer does not hold our mesh key");
            }

            await FrameIO.WriteSealedAsync(stream, new FrameSealer(send), FrameType.MeshHello, MeshProof(meshKey.Span, MeshServerLabel, hash), ct).ConfigureAwait(false);
        }

        return session;
    }

    /// <summary>The 32-byte mesh key derived from the text of a mesh key file (any length of secret).</summary>
    public static byte[] DeriveMeshKey(ReadOnlySpan<byte> secret) => SHA256.HashData(secret);

    internal static string NoticeText(ReadOnlySpan<byte> body) =>
        body.Length < 1 ? "" : System.Text.Encoding.UTF8.GetString(body[1..]);

    private static byte[] Payload(ClientKind kind)
    {
        var payload = new byte[PayloadLength];
        Magic.CopyTo(payload);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(4), RelayConstants.Version);
        payload[6] = (byte)kind;
        return payload;
    }

    private static bool IsPayload(ReadOnlySpan<byte> payload, out ClientKind kind)
    {
        kind = ClientKind.Node;
        if (payload.Length != PayloadLength || !payload[..4].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) != RelayConstants.Version || payload[6] > (byte)ClientKind.Mesh)
        {
            return false;
        }

        kind = (ClientKind)payload[6];
        return true;
    }

    private static byte[] MeshProof(ReadOnlySpan<byte> meshKey, ReadOnlySpan<byte> label, in Key32 handshakeHash)
    {
        Span<byte> message = stackalloc byte[64];
        label.CopyTo(message);
        ((ReadOnlySpan<byte>)handshakeHash).CopyTo(message[label.Length..]);
        return HMACSHA256.HashData(meshKey, message[..(label.Length + Key32.Length)]);
    }
}
