using System.Net;
using System.Net.Sockets;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// Strict parsers for UAPI values, accepting what wireguard-go's Go parsers accept (decimal digits only,
/// dotted-quad IPv4 without leading zeros, bracketed IPv6 endpoints) rather than the framework's lenient forms.
/// </summary>
public static class UapiValues
{
    /// <summary>Parses unsigned decimal digits (no sign, no spaces, leading zeros allowed) not above <paramref name="max"/>.</summary>
    public static bool TryParseUnsigned(ReadOnlySpan<char> text, ulong max, out ulong value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            var digit = (ulong)(c - '0');
            if (value > max / 10 || digit > max - (value * 10))
            {
                return false;
            }
            value = (value * 10) + digit;
        }
        return true;
    }

    /// <summary>Parses "a.b.c.d:port" or "[v6]:port" (no zone).</summary>
    public static bool TryParseEndpoint(ReadOnlySpan<char> text, out UdpEndpoint endpoint)
    {
        endpoint = default;
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port;
        bool bracketed;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }
            host = text[1..close];
            port = text[(close + 2)..];
            bracketed = true;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                return false;
            }
            host = text[..colon];
            port = text[(colon + 1)..];
            bracketed = false;
        }
        if (!TryParseUnsigned(port, ushort.MaxValue, out var portNumber))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        if (bracketed)
        {
            if (!TryParseV6(host, bytes))
            {
                return false;
            }
            endpoint = new UdpEndpoint(bytes, (ushort)portNumber);
            return true;
        }
        if (!TryParseV4(host, bytes[..4]))
        {
            return false;
        }
        endpoint = UdpEndpoint.FromIPv4(bytes[..4], (ushort)portNumber);
        return true;
    }

    /// <summary>Parses "address/length" for either family; host bits are cleared (wireguard-go masks them too).</summary>
    public static bool TryParsePrefix(ReadOnlySpan<char> text, out IPNetwork prefix)
    {
        prefix = default;
        var slash = text.LastIndexOf('/');
        if (slash < 0)
        {
            return false;
        }
        var lengthText = text[(slash + 1)..];
        // Go's ParsePrefix refuses "/08": a length is "0" or starts with a non-zero digit.
        if (lengthText.Length > 1 && lengthText[0] == '0')
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        var host = text[..slash];
        int size;
        if (TryParseV4(host, bytes[..4]))
        {
            size = 4;
        }
        else if (TryParseV6(host, bytes))
        {
            size = 16;
        }
        else
        {
            return false;
        }
        if (!TryParseUnsigned(lengthText, (ulong)size * 8, out var length))
        {
            return false;
        }
        var address = bytes[..size];
        for (var i = 0; i < size; i++)
        {
            var keep = Math.Clamp((int)length - (i * 8), 0, 8);
            address[i] &= (byte)(0xff << (8 - keep));
        }
        prefix = new IPNetwork(new IPAddress(address), (int)length);
        return true;
    }

    /// <summary>Dotted quad, each part 0-255 without leading zeros, into 4 bytes.</summary>
    public static bool TryParseV4(ReadOnlySpan<char> text, Span<byte> address4)
    {
        var part = 0;
        var value = 0;
        var digits = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '.')
            {
                if (digits == 0 || part > 3)
                {
                    return false;
                }
                address4[part++] = (byte)value;
                value = 0;
                digits = 0;
                continue;
            }
            var c = text[i];
            if (!char.IsAsciiDigit(c) || (digits == 1 && value == 0))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
            digits++;
            if (value > 255)
            {
                return false;
            }
        }
        return part == 4;
    }

    /// <summary>An IPv6 address (embedded dotted quad allowed, no zone, no brackets) into 16 bytes.</summary>
    public static bool TryParseV6(ReadOnlySpan<char> text, Span<byte> address16)
    {
        if (text.IsEmpty || text.IndexOf(':') < 0)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c) && c != ':' && c != '.')
            {
                return false;
            }
        }
        return IPAddress.TryParse(text, out var address)
            && address.AddressFamily == AddressFamily.InterNetworkV6
            && address.TryWriteBytes(address16, out var written)
            && written == 16;
    }
}
