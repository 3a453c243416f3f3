using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class MessagesTests
{
    [Theory]
    [InlineData(1, 148, MessageType.Initiation)]
    [InlineData(2, 92, MessageType.Response)]
    [InlineData(3, 64, MessageType.CookieReply)]
    [InlineData(4, 32, MessageType.Transport)]
    [InlineData(4, 1500, MessageType.Transport)]
    [InlineData(1, 147, MessageType.Invalid)]
    [InlineData(1, 149, MessageType.Invalid)]
    [InlineData(2, 148, MessageType.Invalid)]
    [InlineData(3, 65, MessageType.Invalid)]
    [InlineData(4, 31, MessageType.Invalid)]
    [InlineData(0, 148, MessageType.Invalid)]
    [InlineData(5, 148, MessageType.Invalid)]
    public void Classify_TypeAndLength_GivesMessageType(byte type, int length, MessageType expected)
    {
        var datagram = new byte[length];
        datagram[0] = type;
        Assert.Equal(expected, Messages.Classify(datagram));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Classify_NonZeroReservedByte_IsInvalid(int reserved)
    {
        var datagram = new byte[Constants.MessageInitiationSize];
        datagram[0] = Constants.MessageInitiationType;
        datagram[reserved] = 1;
        Assert.Equal(MessageType.Invalid, Messages.Classify(datagram));
    }

    [Fact]
    public void Classify_TooShort_IsInvalid()
    {
        Assert.Equal(MessageType.Invalid, Messages.Classify([]));
        Assert.Equal(MessageType.Invalid, Messages.Classify([4, 0, 0]));
    }

    [Fact]
    public void ReadFields_AreLittleEndianAtTheirOffsets()
    {
        var response = new byte[Constants.MessageResponseSize];
        response[0] = 2;
        response[4] = 0x01;
        response[7] = 0x80;
        response[8] = 0x02;
        Assert.Equal(0x80000001u, Messages.ReadSenderIndex(response));
        Assert.Equal(2u, Messages.ReadReceiverIndex(response, MessageType.Response));

        var transport = new byte[Constants.MessageTransportSize];
        transport[0] = 4;
        transport[4] = 0x03;
        transport[8] = 0x05;
        transport[15] = 0x01;
        Assert.Equal(3u, Messages.ReadReceiverIndex(transport, MessageType.Transport));
        Assert.Equal(0x0100000000000005ul, Messages.ReadCounter(transport));
        Assert.Equal(0u, Messages.ReadReceiverIndex(new byte[148], MessageType.Initiation));
    }
}
