using System.Buffers.Binary;

namespace Weft.Node.Dns;

/// <summary>What <see cref="DnsQuery.Parse"/> made of a datagram.</summary>
internal enum DnsParseStatus
{
    /// <summary>A standard query with one question: answer or forward it.</summary>
    Ok,

    /// <summary>Too short to carry an id, or a response: no reply (replying to responses invites loops).</summary>
    Drop,

    /// <summary>The header is readable but the rest is not a valid query: reply FORMERR.</summary>
    FormatError,

    /// <summary>An opcode other than QUERY (NOTIFY, UPDATE, ...): reply NOTIMP.</summary>
    NotImplemented,
}

/// <summary>
/// A DNS query parsed in place: header, its single question and its EDNS0 OPT record, if any.
/// Holds offsets into the message, allocates nothing.
/// </summary>
internal readonly ref struct DnsQuery
{
    private DnsQuery(ReadOnlySpan<byte> message, int questionLength, bool hasEdns, ushort ednsUdpSize, byte ednsVersion, bool dnssecOk)
    {
        Message = message;
        _questionLength = questionLength;
        HasEdns = hasEdns;
        EdnsUdpSize = ednsUdpSize;
        EdnsVersion = ednsVersion;
        DnssecOk = dnssecOk;
    }

    private readonly int _questionLength;

    /// <summary>The whole query as received.</summary>
    public ReadOnlySpan<byte> Message { get; }

    public ushort Id => BinaryPrimitives.ReadUInt16BigEndian(Message);

    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(Message[2..]);

    public bool RecursionDesired => (Flags & DnsConstants.FlagRd) != 0;

    /// <summary>The question section exactly as sent (name in the client's letter case, type, class).</summary>
    public ReadOnlySpan<byte> Question => Message.Slice(DnsConstants.HeaderLength, _questionLength);

    /// <summary>The question's name in wire form, with its terminating zero.</summary>
    public ReadOnlySpan<byte> QuestionName => Message.Slice(DnsConstants.HeaderLength, _questionLength - 4);

    public ushort QuestionType => BinaryPrimitives.ReadUInt16BigEndian(Message[(DnsConstants.HeaderLength + _questionLength - 4)..]);

    public ushort QuestionClass => BinaryPrimitives.ReadUInt16BigEndian(Message[(DnsConstants.HeaderLength + _questionLength - 2)..]);

    public bool HasEdns { get; }

    /// <summary>The UDP payload size the client can receive (from its OPT record).</summary>
    public ushort EdnsUdpSize { get; }

    public byte EdnsVersion { get; }

    public bool DnssecOk { get; }

    /// <summary>
    /// Parses a query. On <see cref="DnsParseStatus.FormatError"/> and <see cref="DnsParseStatus.NotImplemented"/>
    /// only the header is valid (Id and Flags), enough for an error reply without a question.
    /// </summary>
    public static DnsParseStatus Parse(ReadOnlySpan<byte> message, out DnsQuery query)
    {
        query = new DnsQuery(message, 0, false, 0, 0, false);
        if (message.Length < DnsConstants.HeaderLength)
        {
            return DnsParseStatus.Drop;
        }
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & DnsConstants.FlagQr) != 0)
        {
            return DnsParseStatus.Drop;
        }
        if (((flags >> 11) & 0xF) != DnsConstants.OpcodeQuery)
        {
            return DnsParseStatus.NotImplemented;
        }
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additionals = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        // RFC 9619: a QUERY carries exactly one question; answers and authorities have no meaning in it.
        if (questions != 1 || answers != 0 || authorities != 0)
        {
            return DnsParseStatus.FormatError;
        }
        var nameLength = DnsName.MeasureUncompressed(message, DnsConstants.HeaderLength);
        if (nameLength < 0)
        {
            return DnsParseStatus.FormatError;
        }
        var position = DnsConstants.HeaderLength + nameLength + 4;
        if (position > message.Length)
        {
            return DnsParseStatus.FormatError;
        }
        var questionLength = nameLength + 4;

        bool hasEdns = false, dnssecOk = false;
        ushort udpSize = 0;
        byte version = 0;
        for (var i = 0; i < additionals; i++)
        {
            var nameEnd = DnsName.Skip(message, position);
            if (nameEnd < 0 || nameEnd + 10 > message.Length)
            {
                return DnsParseStatus.FormatError;
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[nameEnd..]);
            var rdLength = BinaryPrimitives.ReadUInt16BigEndian(message[(nameEnd + 8)..]);
            var end = nameEnd + 10 + rdLength;
            if (end > message.Length)
            {
                return DnsParseStatus.FormatError;
            }
            if (type == DnsConstants.TypeOpt)
            {
                // RFC 6891 6.1.1: one OPT at most, owned by the root.
                if (hasEdns || nameEnd != position + 1)
                {
                    return DnsParseStatus.FormatError;
                }
                hasEdns = true;
                udpSize = BinaryPrimitives.ReadUInt16BigEndian(message[(nameEnd + 2)..]);
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(nameEnd + 4)..]);
                version = (byte)(ttl >> 16);
                dnssecOk = (ttl & DnsConstants.EdnsDoBit) != 0;
            }
            position = end;
        }
        if (position != message.Length)
        {
            return DnsParseStatus.FormatError; // trailing bytes: not a message any client builds
        }
        query = new DnsQuery(message, questionLength, hasEdns, udpSize, version, dnssecOk);
        return DnsParseStatus.Ok;
    }

    /// <summary>The largest UDP reply this client accepts: 512 without EDNS0, else its size clamped to ours.</summary>
    public int UdpReplyLimit => HasEdns ? Math.Clamp((int)EdnsUdpSize, DnsConstants.ClassicUdpLimit, DnsConstants.EdnsUdpSize) : DnsConstants.ClassicUdpLimit;
}
