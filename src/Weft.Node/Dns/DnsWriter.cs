using System.Buffers.Binary;

namespace Weft.Node.Dns;

/// <summary>
/// Builds a reply into a caller's buffer: header, the echoed question, then records. A record that does
/// not fit under the limit is not written and marks the reply truncated, so the caller can fall back to a
/// TC reply. Allocates nothing.
/// </summary>
internal ref struct DnsWriter
{
    /// <summary>Offset of the question name in every reply: right after the header.</summary>
    private const ushort QuestionPointer = 0xC000 | DnsConstants.HeaderLength;

    private readonly Span<byte> _buffer;
    private readonly int _limit;
    private int _position;
    private ushort _answers;
    private ushort _authorities;
    private ushort _additionals;

    /// <param name="buffer">Where the reply goes.</param>
    /// <param name="limit">The most bytes the reply may take (transport limit minus room kept for OPT).</param>
    public DnsWriter(Span<byte> buffer, int limit)
    {
        _buffer = buffer;
        _limit = Math.Min(limit, buffer.Length);
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _position;

    /// <summary>Set once a record did not fit.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Writes the header (counts are patched at <see cref="Finish"/>) and echoes the question, if any.</summary>
    public void Begin(ushort id, ushort flags, int rcode, ReadOnlySpan<byte> question)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(flags | (rcode & 0xF)));
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[4..], (ushort)(question.IsEmpty ? 0 : 1));
        _buffer.Slice(6, 6).Clear();
        question.CopyTo(_buffer[DnsConstants.HeaderLength..]);
        _position = DnsConstants.HeaderLength + question.Length;
    }

    /// <summary>An answer record for the question's name (a pointer to it) with the given data.</summary>
    public bool AnswerForQuestion(ushort type, uint ttl, ReadOnlySpan<byte> data) =>
        Record(answer: true, [], QuestionPointer, type, ttl, data);

    /// <summary>A PTR answer for the question's name pointing at <paramref name="target"/> (wire form).</summary>
    public bool PtrForQuestion(uint ttl, ReadOnlySpan<byte> target) =>
        Record(answer: true, [], QuestionPointer, DnsConstants.TypePtr, ttl, target);

    /// <summary>
    /// The SOA of <paramref name="zoneWire"/> in the authority section (negative answers, RFC 2308).
    /// When the zone is a suffix of the question name, its owner is a pointer into the question.
    /// </summary>
    public bool Soa(ReadOnlySpan<byte> zoneWire, ReadOnlySpan<byte> questionName, bool asAnswer)
    {
        // SOA RDATA: MNAME and RNAME (both "zone" itself here, compressed to the owner) then five counters.
        Span<byte> data = stackalloc byte[2 + 2 + 20];
        var ownerOffset = SuffixOffset(questionName, zoneWire);
        if (ownerOffset < 0 && _position + zoneWire.Length > 0x3FFF)
        {
            Overflowed = true;
            return false;
        }
        var ownerAt = ownerOffset >= 0 ? DnsConstants.HeaderLength + ownerOffset : _position;
        var ownerPointer = (ushort)(0xC000 | ownerAt);
        BinaryPrimitives.WriteUInt16BigEndian(data, ownerPointer);            // MNAME
        BinaryPrimitives.WriteUInt16BigEndian(data[2..], ownerPointer);       // RNAME
        BinaryPrimitives.WriteUInt32BigEndian(data[4..], 1);                  // SERIAL
        BinaryPrimitives.WriteUInt32BigEndian(data[8..], 3600);               // REFRESH
        BinaryPrimitives.WriteUInt32BigEndian(data[12..], 600);               // RETRY
        BinaryPrimitives.WriteUInt32BigEndian(data[16..], 86400);             // EXPIRE
        BinaryPrimitives.WriteUInt32BigEndian(data[20..], DnsConstants.NegativeTtl); // MINIMUM
        return Record(asAnswer, zoneWire, ownerOffset >= 0 ? ownerPointer : (ushort)0, DnsConstants.TypeSoa, DnsConstants.NegativeTtl, data);
    }

    /// <summary>The OPT record of our EDNS0 reply; <paramref name="extendedRcode"/> is the upper 8 bits of a 12-bit rcode.</summary>
    public void Opt(int extendedRcode, bool dnssecOk)
    {
        // Written past the limit on purpose: callers reserve OptLength for it.
        var span = _buffer[_position..];
        span[0] = 0; // root owner
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], DnsConstants.TypeOpt);
        BinaryPrimitives.WriteUInt16BigEndian(span[3..], DnsConstants.EdnsUdpSize);
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], ((uint)extendedRcode << 24) | (dnssecOk ? DnsConstants.EdnsDoBit : 0));
        BinaryPrimitives.WriteUInt16BigEndian(span[9..], 0);
        _position += OptLength;
        _additionals++;
    }

    /// <summary>Bytes of our OPT record (no options).</summary>
    public const int OptLength = 11;

    /// <summary>Patches the section counts and returns the reply length.</summary>
    public readonly int Finish()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[6..], _answers);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[8..], _authorities);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[10..], _additionals);
        return _position;
    }

    /// <summary>Appends one record owned by <paramref name="ownerPointer"/> (when not 0) or else by <paramref name="ownerWire"/>.</summary>
    private bool Record(bool answer, scoped ReadOnlySpan<byte> ownerWire, ushort ownerPointer, ushort type, uint ttl, scoped ReadOnlySpan<byte> data)
    {
        var ownerLength = ownerPointer != 0 ? 2 : ownerWire.Length;
        var needed = ownerLength + 10 + data.Length;
        if (Overflowed || _position + needed > _limit)
        {
            Overflowed = true;
            return false;
        }
        var span = _buffer[_position..];
        if (ownerPointer != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, ownerPointer);
        }
        else
        {
            ownerWire.CopyTo(span);
        }
        span = span[ownerLength..];
        BinaryPrimitives.WriteUInt16BigEndian(span, type);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], DnsConstants.ClassIn);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], (ushort)data.Length);
        data.CopyTo(span[10..]);
        _position += needed;
        if (answer)
        {
            _answers++;
        }
        else
        {
            _authorities++;
        }
        return true;
    }

    /// <summary>
    /// Where <paramref name="suffix"/> (lower-case wire form) starts inside <paramref name="name"/> on a label
    /// boundary, compared without regard to letter case; -1 when it is not a suffix.
    /// </summary>
    private static int SuffixOffset(ReadOnlySpan<byte> name, ReadOnlySpan<byte> suffix)
    {
        var offset = 0;
        while (offset < name.Length)
        {
            if (name.Length - offset == suffix.Length)
            {
                return System.Text.Ascii.EqualsIgnoreCase(name[offset..], suffix) ? offset : -1;
            }
            if (name.Length - offset < suffix.Length || name[offset] == 0)
            {
                return -1;
            }
            offset += 1 + name[offset];
        }
        return -1;
    }
}
