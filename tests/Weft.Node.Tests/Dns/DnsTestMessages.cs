using System.Buffers.Binary;
using System.Net;
using System.Text;
using Weft.Core.Control;
using ControlNode = Weft.Core.Control.Node;

namespace Weft.Node.Tests.Dns;

/// <summary>A record of a parsed test reply: owner name, type and the data as text (address, target name) or hex.</summary>
internal sealed record TestRecord(string Name, ushort Type, uint Ttl, string Data);

/// <summary>A reply parsed by the tests' own small decoder (independent of the codec under test).</summary>
internal sealed record TestReply(ushort Id, ushort Flags, int Rcode, string QuestionName, ushort QuestionType, IReadOnlyList<TestRecord> Answers, IReadOnlyList<TestRecord> Authority, bool HasOpt, int ExtendedRcode)
{
    public bool Authoritative => (Flags & 0x0400) != 0;
    public bool Truncated => (Flags & 0x0200) != 0;
    public bool IsResponse => (Flags & 0x8000) != 0;
}

/// <summary>Builds queries and decodes replies for the DNS tests.</summary>
internal static class DnsTestMessages
{
    public const ushort A = 1, Ns = 2, Soa = 6, Ptr = 12, Mx = 15, Txt = 16, Aaaa = 28, Any = 255;

    public static byte[] Query(string name, ushort type, ushort id = 0x1234, bool edns = false, ushort ednsSize = 1232, byte ednsVersion = 0, ushort qclass = 1, bool recursionDesired = true)
    {
        var bytes = new List<byte>
        {
            (byte)(id >> 8), (byte)id,
            (byte)(recursionDesired ? 0x01 : 0x00), 0x00,
            0, 1, 0, 0, 0, 0, 0, (byte)(edns ? 1 : 0),
        };
        bytes.AddRange(EncodeName(name));
        bytes.Add((byte)(type >> 8));
        bytes.Add((byte)type);
        bytes.Add((byte)(qclass >> 8));
        bytes.Add((byte)qclass);
        if (edns)
        {
            bytes.AddRange([0, 0, 41, (byte)(ednsSize >> 8), (byte)ednsSize, 0, ednsVersion, 0, 0, 0, 0]);
        }
        return [.. bytes];
    }

    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }

    public static TestReply Parse(ReadOnlySpan<byte> message)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int ar = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var position = 12;
        string questionName = "";
        ushort questionType = 0;
        for (var i = 0; i < qd; i++)
        {
            questionName = ReadName(message, ref position);
            questionType = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
            position += 4;
        }
        var answers = ReadRecords(message, ref position, an);
        var authority = ReadRecords(message, ref position, ns);
        var additional = ReadRecords(message, ref position, ar);
        Assert.Equal(message.Length, position);
        var opt = additional.FirstOrDefault(r => r.Type == 41);
        var extended = opt is null ? 0 : (int)(opt.Ttl >> 24);
        return new TestReply(id, flags, flags & 0xF, questionName, questionType, answers, authority, opt is not null, extended);
    }

    private static List<TestRecord> ReadRecords(ReadOnlySpan<byte> message, ref int position, int count)
    {
        var records = new List<TestRecord>();
        for (var i = 0; i < count; i++)
        {
            var name = ReadName(message, ref position);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(position + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 8)..]);
            position += 10;
            var data = message.Slice(position, length);
            var text = type switch
            {
                A or Aaaa => new IPAddress(data).ToString(),
                Ptr or Ns => ReadNameAt(message, position),
                Soa => ReadNameAt(message, position),
                _ => Convert.ToHexString(data),
            };
            position += length;
            records.Add(new TestRecord(name, type, ttl, text));
        }
        return records;
    }

    private static string ReadNameAt(ReadOnlySpan<byte> message, int position) => ReadName(message, ref position);

    /// <summary>Reads a possibly compressed name as lower-case dotted text.</summary>
    private static string ReadName(ReadOnlySpan<byte> message, ref int position)
    {
        var labels = new List<string>();
        var cursor = position;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            int length = message[cursor];
            if (length == 0)
            {
                if (!jumped)
                {
                    position = cursor + 1;
                }
                return string.Join('.', labels).ToLowerInvariant();
            }
            if ((length & 0xC0) == 0xC0)
            {
                if (!jumped)
                {
                    position = cursor + 2;
                }
                jumped = true;
                cursor = BinaryPrimitives.ReadUInt16BigEndian(message[cursor..]) & 0x3FFF;
                continue;
            }
            labels.Add(Encoding.ASCII.GetString(message.Slice(cursor + 1, length)));
            cursor += 1 + length;
        }
        throw new InvalidDataException("compression loop");
    }

    public static ControlNode Node(long id, string name, string domain, params string[] addresses) => new()
    {
        Id = id,
        Name = name,
        Fqdn = name + "." + domain + ".",
        NodeKey = "nodekey:" + id,
        MachineKey = "mkey:" + id,
        DiscoKey = "discokey:" + id,
        Addresses = addresses,
        AllowedIPs = addresses,
    };
}
