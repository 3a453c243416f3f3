using System.Buffers.Binary;

namespace Weft.WireGuard.Noise;

/// <summary>
/// Layout and parsing of WireGuard's four messages. Every multi-byte field is little-endian; the
/// first byte is the type and the next three are reserved zeros.
/// </summary>
public static class Messages
{
    // Handshake initiation: type sender ephemeral static(32+16) timestamp(12+16) mac1 mac2.
    internal const int InitiationSender = 4;
    internal const int InitiationEphemeral = 8;
    internal const int InitiationStatic = 40;
    internal const int InitiationStaticLength = 32 + 16;
    internal const int InitiationTimestamp = 88;
    internal const int InitiationTimestampLength = Tai64n.Size + 16;

    // Handshake response: type sender receiver ephemeral empty(0+16) mac1 mac2.
    internal const int ResponseSender = 4;
    internal const int ResponseReceiver = 8;
    internal const int ResponseEphemeral = 12;
    internal const int ResponseEmpty = 44;
    internal const int ResponseEmptyLength = 16;

    // Cookie reply: type receiver nonce(24) cookie(16+16).
    internal const int CookieReplyReceiver = 4;
    internal const int CookieReplyNonce = 8;
    internal const int CookieReplyCookie = 32;
    internal const int CookieReplyCookieLength = 16 + 16;

    // Transport: type receiver counter ciphertext.
    internal const int TransportReceiver = 4;

    /// <summary>Bytes of each of mac1 and mac2, the last 32 bytes of initiations and responses.</summary>
    public const int MacLength = 16;

    /// <summary>Classifies a datagram by type byte, reserved bytes and exact length; Invalid for anything else.</summary>
    public static MessageType Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 4 || datagram[1] != 0 || datagram[2] != 0 || datagram[3] != 0)
        {
            return MessageType.Invalid;
        }
        return datagram[0] switch
        {
            Constants.MessageInitiationType when datagram.Length == Constants.MessageInitiationSize => MessageType.Initiation,
            Constants.MessageResponseType when datagram.Length == Constants.MessageResponseSize => MessageType.Response,
            Constants.MessageCookieReplyType when datagram.Length == Constants.MessageCookieReplySize => MessageType.CookieReply,
            Constants.MessageTransportType when datagram.Length >= Constants.MessageTransportSize => MessageType.Transport,
            _ => MessageType.Invalid,
        };
    }

    /// <summary>The sender index of an initiation or response (the index to answer to).</summary>
    public static uint ReadSenderIndex(ReadOnlySpan<byte> message) =>
        BinaryPrimitives.ReadUInt32LittleEndian(message[InitiationSender..]);

    /// <summary>
    /// The receiver index (ours) of a response, cookie reply or transport message; the caller has
    /// classified the message. 0 for an initiation, which has none.
    /// </summary>
    public static uint ReadReceiverIndex(ReadOnlySpan<byte> message, MessageType type) => type switch
    {
        MessageType.Response => BinaryPrimitives.ReadUInt32LittleEndian(message[ResponseReceiver..]),
        MessageType.CookieReply => BinaryPrimitives.ReadUInt32LittleEndian(message[CookieReplyReceiver..]),
        MessageType.Transport => BinaryPrimitives.ReadUInt32LittleEndian(message[TransportReceiver..]),
        _ => 0,
    };

    /// <summary>The counter (nonce) of a transport message.</summary>
    public static ulong ReadCounter(ReadOnlySpan<byte> message) =>
        BinaryPrimitives.ReadUInt64LittleEndian(message[Constants.MessageTransportOffsetCounter..]);

    /// <summary>Writes the type byte and zeroes the reserved bytes.</summary>
    internal static void WriteType(Span<byte> message, byte type) =>
        BinaryPrimitives.WriteUInt32LittleEndian(message, type);
}
