using System.Buffers.Binary;

namespace Weft.Node.Dns;

/// <summary>Domain names on the wire (length-prefixed labels) and as lower-case dotted text for table lookups.</summary>
internal static class DnsName
{
    /// <summary>
    /// Measures the uncompressed name at <paramref name="offset"/>. Returns its wire length (including the
    /// terminating zero), or -1 when it is truncated, too long, or uses a compression pointer. A question
    /// is the first thing after the header, so a pointer there could only point backwards into the header:
    /// a client never sends one, and refusing it spares us pointer-loop handling on untrusted input.
    /// </summary>
    public static int MeasureUncompressed(ReadOnlySpan<byte> message, int offset)
    {
        var position = offset;
        while (true)
        {
            if (position >= message.Length)
            {
                return -1;
            }
            int labelLength = message[position];
            if (labelLength == 0)
            {
                position++;
                break;
            }
            if (labelLength > DnsConstants.MaxLabelLength)
            {
                return -1; // a pointer (0xC0) or the reserved 0x40/0x80 label kinds
            }
            position += 1 + labelLength;
            if (position - offset > DnsConstants.MaxNameLength)
            {
                return -1;
            }
        }
        var length = position - offset;
        return length > DnsConstants.MaxNameLength ? -1 : length;
    }

    /// <summary>
    /// Skips a name that may end in a compression pointer (as in records after the question). Returns the
    /// offset after it, or -1 when the name runs off the message.
    /// </summary>
    public static int Skip(ReadOnlySpan<byte> message, int offset)
    {
        var position = offset;
        while (true)
        {
            if (position >= message.Length)
            {
                return -1;
            }
            int labelLength = message[position];
            if (labelLength == 0)
            {
                return position + 1;
            }
            if ((labelLength & 0xC0) == 0xC0)
            {
                return position + 2 <= message.Length ? position + 2 : -1;
            }
            if (labelLength > DnsConstants.MaxLabelLength)
            {
                return -1;
            }
            position += 1 + labelLength;
            if (position - offset > DnsConstants.MaxNameLength)
            {
                return -1;
            }
        }
    }

    /// <summary>
    /// Writes the wire name as lower-case dotted text without the trailing dot ("" for the root) and returns
    /// its length, or -1 when a label holds a dot or a byte outside printable ASCII: such a name can match
    /// nothing in our tables, and refusing it keeps "a.b" as one label from aliasing two labels.
    /// </summary>
    public static int ToLowerDotted(ReadOnlySpan<byte> wireName, Span<char> destination)
    {
        var written = 0;
        var position = 0;
        while (position < wireName.Length)
        {
            int labelLength = wireName[position++];
            if (labelLength == 0)
            {
                break;
            }
            if (written > 0)
            {
                destination[written++] = '.';
            }
            foreach (var b in wireName.Slice(position, labelLength))
            {
                if (b is <= 0x20 or >= 0x7F or (byte)'.')
                {
                    return -1;
                }
                destination[written++] = b is >= (byte)'A' and <= (byte)'Z' ? (char)(b + 32) : (char)b;
            }
            position += labelLength;
        }
        return written;
    }

    /// <summary>Lower-cases and strips one trailing dot: the table's canonical form of a configured name.</summary>
    public static string Canonical(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.EndsWith('.'))
        {
            trimmed = trimmed[..^1];
        }
        return trimmed.ToLowerInvariant();
    }

    /// <summary>Encodes a canonical dotted name as wire labels, or returns null when it is not a valid name.</summary>
    public static byte[]? Encode(string dotted)
    {
        if (dotted.Length == 0)
        {
            return [0];
        }
        if (dotted.Length + 2 > DnsConstants.MaxNameLength)
        {
            return null;
        }
        var wire = new byte[dotted.Length + 2];
        var position = 0;
        foreach (var label in dotted.Split('.'))
        {
            if (label.Length is 0 or > DnsConstants.MaxLabelLength)
            {
                return null;
            }
            wire[position++] = (byte)label.Length;
            foreach (var c in label)
            {
                if (c is <= ' ' or >= (char)0x7F)
                {
                    return null;
                }
                wire[position++] = (byte)c;
            }
        }
        wire[position] = 0;
        return wire;
    }

    /// <summary>Whether <paramref name="name"/> is <paramref name="zone"/> or below it (label-aligned).</summary>
    public static bool IsAtOrBelow(ReadOnlySpan<char> name, ReadOnlySpan<char> zone)
    {
        if (zone.Length == 0)
        {
            return true;
        }
        if (!name.EndsWith(zone, StringComparison.Ordinal))
        {
            return false;
        }
        return name.Length == zone.Length || name[name.Length - zone.Length - 1] == '.';
    }

    /// <summary>Reads a big-endian 16-bit field.</summary>
    public static ushort ReadUInt16(ReadOnlySpan<byte> message, int offset) =>
        BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
}
