using System.Buffers.Binary;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

/// <summary>
/// One disco message in plaintext (what <see cref="DiscoCodec"/> seals): type byte, then
/// ping: txid (12) ‖ sender node key (32); pong: txid (12) ‖ observed address (16, IPv4-mapped) ‖ port (2, big-endian);
/// call-me-maybe: up to 32 × (address (16) ‖ port (2)).
/// </summary>
public sealed record DiscoMessage
{
    private const int EndpointLength = 18;

    public required DiscoMessageType Type { get; init; }

    /// <summary>Ping and pong: the random transaction id that pairs them.</summary>
    public UInt128 TxId { get; init; }

    /// <summary>Ping: the sender's node key (must match the disco key's owner in the netmap).</summary>
    public NodePublic NodeKey { get; init; }

    /// <summary>Pong: where the ping came from as the answerer saw it (empty when it came through the relay).</summary>
    public UdpEndpoint Observed { get; init; }

    /// <summary>Call-me-maybe: the sender's endpoints.</summary>
    public IReadOnlyList<UdpEndpoint> Endpoints { get; init; } = [];

    /// <summary>Largest plaintext any message needs.</summary>
    public const int MaxLength = 1 + PathConstants.MaxCallMeMaybeEndpoints * EndpointLength;

    /// <summary>Writes the plaintext and returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        switch (Type)
        {
            case DiscoMessageType.Ping:
                WriteTxId(destination[1..], TxId);
                var nodeKey = NodeKey.Key;
                ReadOnlySpan<byte> key = nodeKey;
                key.CopyTo(destination[(1 + PathConstants.TxIdLength)..]);
                return 1 + PathConstants.TxIdLength + Key32.Length;
            case DiscoMessageType.Pong:
                WriteTxId(destination[1..], TxId);
                WriteEndpoint(destination[(1 + PathConstants.TxIdLength)..], Observed);
                return 1 + PathConstants.TxIdLength + EndpointLength;
            case DiscoMessageType.CallMeMaybe:
                var count = Math.Min(Endpoints.Count, PathConstants.MaxCallMeMaybeEndpoints);
                for (var i = 0; i < count; i++)
                {
                    WriteEndpoint(destination[(1 + i * EndpointLength)..], Endpoints[i]);
                }
                return 1 + count * EndpointLength;
            default:
                throw new InvalidOperationException($"unknown disco message type {Type}");
        }
    }

    /// <summary>Parses a plaintext; false when the type is unknown or the length does not fit it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> plaintext, out DiscoMessage message)
    {
        message = null!;
        if (plaintext.IsEmpty)
        {
            return false;
        }
        var body = plaintext[1..];
        switch ((DiscoMessageType)plaintext[0])
        {
            case DiscoMessageType.Ping when body.Length == PathConstants.TxIdLength + Key32.Length:
                message = new DiscoMessage
                {
                    Type = DiscoMessageType.Ping,
                    TxId = ReadTxId(body),
                    NodeKey = new NodePublic(Key32.From(body[PathConstants.TxIdLength..])),
                };
                return true;
            case DiscoMessageType.Pong when body.Length == PathConstants.TxIdLength + EndpointLength:
                message = new DiscoMessage
                {
                    Type = DiscoMessageType.Pong,
                    TxId = ReadTxId(body),
                    Observed = ReadEndpoint(body[PathConstants.TxIdLength..]),
                };
                return true;
            case DiscoMessageType.CallMeMaybe when body.Length % EndpointLength == 0 && body.Length / EndpointLength <= PathConstants.MaxCallMeMaybeEndpoints:
                var endpoints = new UdpEndpoint[body.Length / EndpointLength];
                for (var i = 0; i < endpoints.Length; i++)
                {
                    endpoints[i] = ReadEndpoint(body[(i * EndpointLength)..]);
                }
                message = new DiscoMessage { Type = DiscoMessageType.CallMeMaybe, Endpoints = endpoints };
                return true;
            default:
                return false;
        }
    }

    /// <summary>A fresh random transaction id (96 bits, so guessing one to forge a pong is hopeless even before the AEAD).</summary>
    public static UInt128 NewTxId()
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes[4..]);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static void WriteTxId(Span<byte> destination, UInt128 txId)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, txId);
        bytes[4..].CopyTo(destination);
    }

    private static UInt128 ReadTxId(ReadOnlySpan<byte> source)
    {
        Span<byte> bytes = stackalloc byte[16];
        source[..PathConstants.TxIdLength].CopyTo(bytes[4..]);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static void WriteEndpoint(Span<byte> destination, UdpEndpoint endpoint)
    {
        endpoint.WriteAddress(destination[..16]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], endpoint.Port);
    }

    private static UdpEndpoint ReadEndpoint(ReadOnlySpan<byte> source) =>
        new(source[..16], BinaryPrimitives.ReadUInt16BigEndian(source[16..]));
}
