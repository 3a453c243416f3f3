using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

public sealed class DiscoCodecTests
{
    [Fact]
    public void SealAndOpen_RoundTripsEveryMessageType()
    {
        var a = PrivateKey.Generate();
        var b = PrivateKey.Generate();
        Assert.True(DiscoCodec.TryDeriveKey(a, new DiscoPublic(b.PublicKey()), out var keyAtA));
        Assert.True(DiscoCodec.TryDeriveKey(b, new DiscoPublic(a.PublicKey()), out var keyAtB));
        Assert.Equal(keyAtA, keyAtB);
        Assert.True(UdpEndpoint.TryParse("192.0.2.7:41641", out var observed));
        Assert.True(UdpEndpoint.TryParse("[2001:db8::1]:5", out var v6));
        DiscoMessage[] messages =
        [
            new() { Type = DiscoMessageType.Ping, TxId = DiscoMessage.NewTxId(), NodeKey = new NodePublic(PrivateKey.Generate().PublicKey()) },
            new() { Type = DiscoMessageType.Pong, TxId = DiscoMessage.NewTxId(), Observed = observed },
            new() { Type = DiscoMessageType.CallMeMaybe, Endpoints = [observed, v6] },
        ];
        var plaintext = new byte[DiscoMessage.MaxLength];
        var opened = new byte[DiscoMessage.MaxLength];
        foreach (var message in messages)
        {
            var length = message.Write(plaintext);
            var wire = new byte[DiscoCodec.MaxLength];
            var total = DiscoCodec.Seal(wire, new DiscoPublic(a.PublicKey()), keyAtA, 42, plaintext.AsSpan(0, length));
            Assert.True(DiscoCodec.LooksLikeDisco(wire.AsSpan(0, total)));
            Assert.Equal(new DiscoPublic(a.PublicKey()), DiscoCodec.ReadSender(wire.AsSpan(0, total)));
            Assert.True(DiscoCodec.TryOpen(wire.AsSpan(0, total), keyAtB, opened, out var openedLength, out var counter));
            Assert.Equal(42UL, counter);
            Assert.True(DiscoMessage.TryParse(opened.AsSpan(0, openedLength), out var parsed));
            Assert.Equal(message.Type, parsed.Type);
            Assert.Equal(message.TxId, parsed.TxId);
            Assert.Equal(message.NodeKey, parsed.NodeKey);
            Assert.Equal(message.Observed, parsed.Observed);
            Assert.Equal(message.Endpoints, parsed.Endpoints);
        }
    }

    [Fact]
    public void SenderKeySwapped_FailsToOpen()
    {
        var a = PrivateKey.Generate();
        var b = PrivateKey.Generate();
        Assert.True(DiscoCodec.TryDeriveKey(a, new DiscoPublic(b.PublicKey()), out var key));
        var wire = new byte[DiscoCodec.MaxLength];
        var total = DiscoCodec.Seal(wire, new DiscoPublic(a.PublicKey()), key, 1, [1, 2, 3]);
        // The sender key is authenticated data: claiming another sender breaks the tag.
        wire[10] ^= 0x80;
        Assert.False(DiscoCodec.TryOpen(wire.AsSpan(0, total), key, new byte[DiscoMessage.MaxLength], out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 9, 1, 2 })]
    [InlineData(new byte[] { 1, 1, 2 })]
    [InlineData(new byte[] { 3, 1 })]
    public void Parse_MalformedPlaintext_IsRejected(byte[] plaintext) => Assert.False(DiscoMessage.TryParse(plaintext, out _));

    [Fact]
    public void WireGuardAndStun_DoNotLookLikeDisco()
    {
        var transport = new byte[64];
        transport[0] = 4;
        Assert.False(DiscoCodec.LooksLikeDisco(transport));
        var stun = new byte[64];
        stun[1] = 1;
        Assert.False(DiscoCodec.LooksLikeDisco(stun));
    }

    [Fact]
    public void ReplayWindow_AcceptsEachCounterOnce_InAnyOrderWithinTheWindow()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(100));
        Assert.False(window.TryAccept(100));
        Assert.True(window.TryAccept(98));
        Assert.False(window.TryAccept(98));
        Assert.True(window.TryAccept(200));
        Assert.True(window.TryAccept(200 - 63));
        Assert.False(window.TryAccept(200 - 64));
        Assert.False(window.TryAccept(100));
        Assert.True(window.TryAccept(199));
        Assert.False(window.TryAccept(199));
    }
}
