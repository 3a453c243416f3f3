namespace Weft.WireGuard.Noise;

/// <summary>What an incoming datagram is, judged by its type byte and exact length.</summary>
public enum MessageType
{
    /// <summary>Wrong length, unknown type or non-zero reserved bytes: drop and count.</summary>
    Invalid = 0,

    /// <summary>Handshake initiation, 148 bytes.</summary>
    Initiation = Constants.MessageInitiationType,

    /// <summary>Handshake response, 92 bytes.</summary>
    Response = Constants.MessageResponseType,

    /// <summary>Cookie reply, 64 bytes.</summary>
    CookieReply = Constants.MessageCookieReplyType,

    /// <summary>Transport data, at least 32 bytes.</summary>
    Transport = Constants.MessageTransportType,
}
