using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Weft.Relay.Stun;

/// <summary>Whether a message carries a FINGERPRINT and whether it matches.</summary>
public enum FingerprintCheck
{
    /// <summary>No FINGERPRINT attribute (allowed by RFC 8489).</summary>
    Absent,

    /// <summary>Present and correct.</summary>
    Valid,

    /// <summary>Present and wrong: not STUN, or damaged.</summary>
    Invalid,
}

/// <summary>
/// The STUN message codec (RFC 8489) for the Binding method: header checks, attribute lookup, XOR-MAPPED-ADDRESS,
/// FINGERPRINT and MESSAGE-INTEGRITY. Works on spans; parsing never throws on hostile bytes.
/// </summary>
public static class StunMessage
{
    private const int AttributeHeader = 4;
    private const int FingerprintLength = AttributeHeader + 4;
    private const int IntegrityLength = AttributeHeader + 20;

    /// <summary>
    /// True when <paramref name="message"/> is exactly one well-formed STUN message: top two bits zero, length a multiple
    /// of four matching the datagram, the magic cookie, and attributes that tile the body.
    /// </summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> message, out ushort type, out TransactionId transaction)
    {
        type = 0;
        transaction = default;
        if (!LooksLikeStun(message))
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if (length % 4 != 0 || StunConstants.HeaderLength + length != message.Length)
        {
            return false;
        }

        var body = message[StunConstants.HeaderLength..];
        while (!body.IsEmpty)
        {
            if (body.Length < AttributeHeader)
            {
                return false;
            }

            var padded = Padded(BinaryPrimitives.ReadUInt16BigEndian(body[2..]));
            if (AttributeHeader + padded > body.Length)
            {
                return false;
            }

            body = body[(AttributeHeader + padded)..];
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(message);
        transaction = TransactionId.From(message[8..]);
        return true;
    }

    /// <summary>A cheap first test for demultiplexing one UDP socket: top two bits zero and the magic cookie in place.</summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= StunConstants.HeaderLength && (datagram[0] & 0xC0) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == StunConstants.MagicCookie;

    /// <summary>The value of the first attribute of <paramref name="attributeType"/> in a message that passed <see cref="TryParseHeader"/>.</summary>
    public static bool TryFindAttribute(ReadOnlySpan<byte> message, ushort attributeType, out ReadOnlySpan<byte> value) =>
        TryFindAttribute(message, attributeType, out value, out _);

    /// <summary>Checks FINGERPRINT, which RFC 8489 requires to be the last attribute.</summary>
    public static FingerprintCheck CheckFingerprint(ReadOnlySpan<byte> message)
    {
        if (!TryFindAttribute(message, StunConstants.AttrFingerprint, out var value, out var offset))
        {
            return FingerprintCheck.Absent;
        }

        if (value.Length != 4 || offset + FingerprintLength != message.Length)
        {
            return FingerprintCheck.Invalid;
        }

        // The CRC covers the message up to the attribute, with the header length as sent (it already counts FINGERPRINT).
        var expected = Crc32.Compute(message[..offset]) ^ StunConstants.FingerprintXor;
        return BinaryPrimitives.ReadUInt32BigEndian(value) == expected ? FingerprintCheck.Valid : FingerprintCheck.Invalid;
    }

    /// <summary>Checks MESSAGE-INTEGRITY (HMAC-SHA1) with <paramref name="key"/>: for short-term credentials the key is the password (after SASLprep).</summary>
    public static bool CheckMessageIntegrity(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key)
    {
        if (!TryFindAttribute(message, StunConstants.AttrMessageIntegrity, out var value, out var offset) || value.Length != 20)
        {
            return false;
        }

        // The HMAC covers the message up to the attribute, with the length field counting up to the end of MESSAGE-INTEGRITY.
        Span<byte> covered = stackalloc byte[offset];
        message[..offset].CopyTo(covered);
        BinaryPrimitives.WriteUInt16BigEndian(covered[2..], (ushort)(offset + IntegrityLength - StunConstants.HeaderLength));
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(key, covered, mac);
        return CryptographicOperations.FixedTimeEquals(mac, value);
    }

    /// <summary>The reflexive address of a response: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (old servers).</summary>
    public static bool TryReadMappedAddress(ReadOnlySpan<byte> message, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (TryFindAttribute(message, StunConstants.AttrXorMappedAddress, out var xored))
        {
            return TryDecodeAddress(xored, message[4..StunConstants.HeaderLength], out endpoint);
        }

        return TryFindAttribute(message, StunConstants.AttrMappedAddress, out var plain) && TryDecodeAddress(plain, default, out endpoint);
    }

    /// <summary>Writes a Binding request with FINGERPRINT; returns its length.</summary>
    public static int WriteBindingRequest(Span<byte> destination, in TransactionId transaction)
    {
        var n = WriteHeader(destination, StunConstants.BindingRequest, transaction);
        return AppendFingerprint(destination, n);
    }

    /// <summary>Writes a Binding success response telling the client <paramref name="mapped"/>, with SOFTWARE and FINGERPRINT; returns its length.</summary>
    public static int WriteBindingSuccess(Span<byte> destination, in TransactionId transaction, IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        var n = WriteHeader(destination, StunConstants.BindingSuccess, transaction);
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var addressLength = v6 ? 16 : 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[n..], StunConstants.AttrXorMappedAddress);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(n + 2)..], (ushort)(4 + addressLength));
        var value = destination.Slice(n + AttributeHeader, 4 + addressLength);
        value[0] = 0;
        value[1] = v6 ? StunConstants.FamilyIPv6 : StunConstants.FamilyIPv4;
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(port ^ (StunConstants.MagicCookie >> 16)));
        address.TryWriteBytes(value[4..], out _);
        XorAddress(value[4..], destination[4..StunConstants.HeaderLength]);
        n += AttributeHeader + 4 + addressLength;

        var software = StunConstants.Software;
        BinaryPrimitives.WriteUInt16BigEndian(destination[n..], StunConstants.AttrSoftware);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(n + 2)..], (ushort)software.Length);
        System.Text.Encoding.ASCII.GetBytes(software, destination[(n + AttributeHeader)..]);
        var padded = Padded(software.Length);
        destination.Slice(n + AttributeHeader + software.Length, padded - software.Length).Clear();
        n += AttributeHeader + padded;
        return AppendFingerprint(destination, n);
    }

    private static int WriteHeader(Span<byte> destination, ushort type, in TransactionId transaction)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StunConstants.MagicCookie);
        ((ReadOnlySpan<byte>)transaction).CopyTo(destination[8..]);
        return StunConstants.HeaderLength;
    }

    private static int AppendFingerprint(Span<byte> destination, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(length + FingerprintLength - StunConstants.HeaderLength));
        var crc = Crc32.Compute(destination[..length]) ^ StunConstants.FingerprintXor;
        BinaryPrimitives.WriteUInt16BigEndian(destination[length..], StunConstants.AttrFingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(length + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(length + AttributeHeader)..], crc);
        return length + FingerprintLength;
    }

    private static bool TryFindAttribute(ReadOnlySpan<byte> message, ushort attributeType, out ReadOnlySpan<byte> value, out int offset)
    {
        value = default;
        offset = StunConstants.HeaderLength;
        while (offset + AttributeHeader <= message.Length)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            if (offset + AttributeHeader + length > message.Length)
            {
                return false;
            }

            if (type == attributeType)
            {
                value = message.Slice(offset + AttributeHeader, length);
                return true;
            }

            offset += AttributeHeader + Padded(length);
        }

        return false;
    }

    /// <param name="xorKey">The cookie and transaction id (16 bytes) for XOR-MAPPED-ADDRESS; empty for MAPPED-ADDRESS.</param>
    private static bool TryDecodeAddress(ReadOnlySpan<byte> value, ReadOnlySpan<byte> xorKey, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (value.Length < 4)
        {
            return false;
        }

        var addressLength = value[1] switch
        {
            StunConstants.FamilyIPv4 => 4,
            StunConstants.FamilyIPv6 => 16,
            _ => 0,
        };
        if (addressLength == 0 || value.Length != 4 + addressLength)
        {
            return false;
        }

        int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        Span<byte> address = stackalloc byte[addressLength];
        value[4..].CopyTo(address);
        if (!xorKey.IsEmpty)
        {
            port ^= (int)(StunConstants.MagicCookie >> 16);
            XorAddress(address, xorKey);
        }

        endpoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    /// <summary>XORs an address with the cookie, then (IPv6) with the transaction id: bytes 4..20 of the header.</summary>
    private static void XorAddress(Span<byte> address, ReadOnlySpan<byte> cookieAndTransaction)
    {
        for (var i = 0; i < address.Length; i++)
        {
            address[i] ^= cookieAndTransaction[i];
        }
    }

    private static int Padded(int length) => (length + 3) & ~3;
}
