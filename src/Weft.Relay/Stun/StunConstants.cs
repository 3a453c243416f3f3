namespace Weft.Relay.Stun;

/// <summary>Numbers of the STUN protocol (RFC 8489) that Weft uses, and our few choices.</summary>
public static class StunConstants
{
    // From RFC 8489.

    /// <summary>Every STUN message starts with a 20-byte header.</summary>
    public const int HeaderLength = 20;

    /// <summary>The fixed magic cookie at bytes 4..8, which also tells STUN apart from WireGuard on one socket.</summary>
    public const uint MagicCookie = 0x2112A442;

    /// <summary>Transaction ids are 96 bits.</summary>
    public const int TransactionIdLength = 12;

    /// <summary>Binding request: class request, method binding.</summary>
    public const ushort BindingRequest = 0x0001;

    /// <summary>Binding success response.</summary>
    public const ushort BindingSuccess = 0x0101;

    /// <summary>Binding error response.</summary>
    public const ushort BindingError = 0x0111;

    /// <summary>MAPPED-ADDRESS: the reflexive address in the clear (RFC 3489 servers send only this).</summary>
    public const ushort AttrMappedAddress = 0x0001;

    /// <summary>USERNAME (short-term credentials).</summary>
    public const ushort AttrUsername = 0x0006;

    /// <summary>MESSAGE-INTEGRITY: HMAC-SHA1 over the message so far.</summary>
    public const ushort AttrMessageIntegrity = 0x0008;

    /// <summary>ERROR-CODE.</summary>
    public const ushort AttrErrorCode = 0x0009;

    /// <summary>XOR-MAPPED-ADDRESS: the reflexive address XORed with the cookie (and the transaction id for IPv6).</summary>
    public const ushort AttrXorMappedAddress = 0x0020;

    /// <summary>SOFTWARE: a description of the sender's software.</summary>
    public const ushort AttrSoftware = 0x8022;

    /// <summary>FINGERPRINT: CRC-32 of the message XORed with <see cref="FingerprintXor"/>.</summary>
    public const ushort AttrFingerprint = 0x8028;

    /// <summary>XORed into the CRC-32 so a FINGERPRINT never equals another protocol's CRC.</summary>
    public const uint FingerprintXor = 0x5354554E;

    /// <summary>Address family codes in (XOR-)MAPPED-ADDRESS.</summary>
    public const byte FamilyIPv4 = 0x01;

    /// <summary>IPv6 family code.</summary>
    public const byte FamilyIPv6 = 0x02;

    /// <summary>RFC 8489 §6.2.1: the first retransmission timeout.</summary>
    public static readonly TimeSpan InitialRto = TimeSpan.FromMilliseconds(500);

    // Our choice.

    /// <summary>The SOFTWARE value our responder sends.</summary>
    public const string Software = "weft";

    /// <summary>Largest STUN message we accept or build (a Binding exchange is under 100 bytes).</summary>
    public const int MaxMessageLength = 576;
}
