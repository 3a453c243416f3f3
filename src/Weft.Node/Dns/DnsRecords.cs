using System.Buffers.Binary;

namespace Weft.Node.Dns;

/// <summary>Walks the resource records of a reply (after its question) to read or age their TTLs.</summary>
internal static class DnsRecords
{
    /// <summary>Largest TTL a cached reply is kept for, whatever the upstream said (our choice: 5 minutes).</summary>
    public const uint MaxCacheTtl = 300;

    /// <summary>
    /// The smallest TTL over the answer and authority records (OPT excluded), or null when the reply is not
    /// well formed or has no such records. For negative answers that is the SOA's TTL, which RFC 2308 bounds
    /// the negative-caching time with.
    /// </summary>
    public static uint? MinimumTtl(ReadOnlySpan<byte> message)
    {
        if (!TryFirstRecord(message, out var position, out var records))
        {
            return null;
        }
        uint? minimum = null;
        for (var i = 0; i < records; i++)
        {
            if (!TryRecord(message, ref position, out var type, out var ttlOffset))
            {
                return null;
            }
            if (type != DnsConstants.TypeOpt && i < AnswerAndAuthorityCount(message))
            {
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[ttlOffset..]);
                minimum = minimum is { } m ? Math.Min(m, ttl) : ttl;
            }
        }
        return position == message.Length ? minimum : null;
    }

    /// <summary>Subtracts <paramref name="seconds"/> from every TTL except OPT's (whose TTL field holds flags).</summary>
    public static void Age(Span<byte> message, uint seconds)
    {
        if (!TryFirstRecord(message, out var position, out var records))
        {
            return;
        }
        for (var i = 0; i < records; i++)
        {
            if (!TryRecord(message, ref position, out var type, out var ttlOffset))
            {
                return;
            }
            if (type != DnsConstants.TypeOpt)
            {
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[ttlOffset..]);
                BinaryPrimitives.WriteUInt32BigEndian(message[ttlOffset..], ttl > seconds ? ttl - seconds : 0);
            }
        }
    }

    private static int AnswerAndAuthorityCount(ReadOnlySpan<byte> message) =>
        BinaryPrimitives.ReadUInt16BigEndian(message[6..]) + BinaryPrimitives.ReadUInt16BigEndian(message[8..]);

    private static bool TryFirstRecord(ReadOnlySpan<byte> message, out int position, out int records)
    {
        position = 0;
        records = 0;
        if (message.Length < DnsConstants.HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(message[4..]) != 1)
        {
            return false;
        }
        var nameEnd = DnsName.Skip(message, DnsConstants.HeaderLength);
        if (nameEnd < 0 || nameEnd + 4 > message.Length)
        {
            return false;
        }
        position = nameEnd + 4;
        records = AnswerAndAuthorityCount(message) + BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        return true;
    }

    private static bool TryRecord(ReadOnlySpan<byte> message, ref int position, out ushort type, out int ttlOffset)
    {
        type = 0;
        ttlOffset = 0;
        var nameEnd = DnsName.Skip(message, position);
        if (nameEnd < 0 || nameEnd + 10 > message.Length)
        {
            return false;
        }
        type = BinaryPrimitives.ReadUInt16BigEndian(message[nameEnd..]);
        ttlOffset = nameEnd + 4;
        var end = nameEnd + 10 + BinaryPrimitives.ReadUInt16BigEndian(message[(nameEnd + 8)..]);
        if (end > message.Length)
        {
            return false;
        }
        position = end;
        return true;
    }
}
