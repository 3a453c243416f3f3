using System.Buffers.Binary;
using Weft.Core.Control;
using Weft.Node.Dns;
using static Weft.Node.Tests.Dns.DnsTestMessages;

namespace Weft.Node.Tests.Dns;

public sealed class DnsBadInputTests
{
    private static readonly DnsTable Table = DnsTable.Build(
        new DnsConfig { MagicDns = true, Domain = "tail.example", Nameservers = ["127.0.0.1:5300"] },
        DnsTestMessages.Node(1, "alpha", "tail.example", "100.64.0.1/32"),
        [],
        []);

    private readonly DnsCounters _counters = new();
    private readonly byte[] _reply = new byte[65535];

    private DnsDecision Handle(byte[] message, out TestReply? reply, bool overUdp = true)
    {
        var decision = DnsResponder.Handle(Table, message, overUdp, _reply, _counters, out var length, out _);
        reply = decision == DnsDecision.Reply ? Parse(_reply.AsSpan(0, length)) : null;
        return decision;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(11)]
    public void ShorterThanHeader_IsDropped(int length)
    {
        Assert.Equal(DnsDecision.Drop, Handle(new byte[length], out _));
        Assert.Equal(1, _counters.Dropped);
        Assert.Equal(1, _counters.Queries);
    }

    [Fact]
    public void Response_IsDropped_SoTwoResolversCannotBeMadeToPingPong()
    {
        var message = Query("alpha.tail.example", A);
        message[2] |= 0x80;

        Assert.Equal(DnsDecision.Drop, Handle(message, out _));
        Assert.Equal(1, _counters.Dropped);
    }

    [Theory]
    [InlineData(4)] // NOTIFY
    [InlineData(5)] // UPDATE
    [InlineData(2)] // STATUS
    public void OtherOpcode_IsNotImp(int opcode)
    {
        var message = Query("alpha.tail.example", A, id: 0x0707);
        message[2] = (byte)((message[2] & 0x87) | (opcode << 3));

        Assert.Equal(DnsDecision.Reply, Handle(message, out var reply));
        Assert.Equal(4, reply!.Rcode);
        Assert.Equal(0x0707, reply.Id);
        Assert.Equal(opcode, (reply.Flags >> 11) & 0xF);
        Assert.Equal(1, _counters.NotImplemented);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void QuestionCountOtherThanOne_IsFormErr(int count)
    {
        var message = Query("alpha.tail.example", A);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), (ushort)count);

        Assert.Equal(DnsDecision.Reply, Handle(message, out var reply));
        Assert.Equal(1, reply!.Rcode);
        Assert.Equal(1, _counters.FormatErrors);
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "truncated name", Query("alpha.tail.example", A)[..20] },
        { "no type and class", Query("alpha.tail.example", A)[..^3] },
        { "pointer in question", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1] },
        { "label over 63", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64, .. new byte[64], 0, 0, 1, 0, 1] },
        { "trailing bytes", [.. Query("alpha.tail.example", A), 0xFF] },
        { "answer count set", WithCount(6, 1) },
        { "additional runs off", WithCount(10, 1) },
        { "two OPT records", TwoOpts() },
        { "name over 255", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. Enumerable.Repeat<byte[]>([63, .. new byte[63]], 5).SelectMany(b => b), 0, 0, 1, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedQuery_IsFormErr(string what, byte[] message)
    {
        Assert.Equal(DnsDecision.Reply, Handle(message, out var reply));
        Assert.True(reply!.Rcode == 1, what);
        Assert.Equal(1, _counters.FormatErrors);
    }

    [Fact]
    public void OversizedUdp_WithoutEdns_IsFormErr_ButFineOverTcp()
    {
        // A valid query padded past 512 bytes by an additional record that is not OPT.
        byte[] padded = [.. Query("alpha.tail.example", A), 0, 0, 16, 0, 1, 0, 0, 0, 0, 0x02, 0x00, .. new byte[512]];
        padded[11] = 1;

        Assert.Equal(DnsDecision.Reply, Handle(padded, out var reply));
        Assert.Equal(1, reply!.Rcode);
        Assert.Equal(1, _counters.Oversized);

        Assert.Equal(DnsDecision.Reply, Handle(padded, out var overTcp, overUdp: false));
        Assert.Equal(0, overTcp!.Rcode);
        Assert.Single(overTcp.Answers);
    }

    private static byte[] WithCount(int offset, ushort count)
    {
        var message = Query("alpha.tail.example", A);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset), count);
        return message;
    }

    private static byte[] TwoOpts()
    {
        byte[] message = [.. Query("alpha.tail.example", A, edns: true), 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0];
        message[11] = 2;
        return message;
    }
}
