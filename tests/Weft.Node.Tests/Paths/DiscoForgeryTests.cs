using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

public sealed class DiscoForgeryTests
{
    private static byte[] Ping(PrivateKey senderDisco, DiscoPublic claimedSender, DiscoPublic receiver, NodePublic node, ulong counter)
    {
        Assert.True(DiscoCodec.TryDeriveKey(senderDisco, receiver, out var key));
        Span<byte> plaintext = stackalloc byte[DiscoMessage.MaxLength];
        var length = new DiscoMessage { Type = DiscoMessageType.Ping, TxId = DiscoMessage.NewTxId(), NodeKey = node }.Write(plaintext);
        var sealedMessage = new byte[DiscoCodec.MaxLength];
        var total = DiscoCodec.Seal(sealedMessage, claimedSender, key, counter, plaintext[..length]);
        return sealedMessage[..total];
    }

    [Fact]
    public void Ping_FromAnUnknownDiscoKey_IsDroppedAndCounted()
    {
        using var pair = new MagicPair();
        var stranger = PrivateKey.Generate();
        Assert.True(pair.RawB.Inject(Ping(stranger, new DiscoPublic(stranger.PublicKey()), pair.B.DiscoPublic, pair.NodeA, 1), pair.RawA.LocalEndpoint));
        Assert.True(MagicPair.Eventually(() => pair.B.DiscoUnknownKey == 1));
        Assert.False(pair.RawB.Sent.TryRead(out _));
    }

    [Fact]
    public void Ping_ClaimingAPeersDiscoKey_ButSealedByAnother_IsDroppedAsForged()
    {
        using var pair = new MagicPair();
        var forger = PrivateKey.Generate();
        Assert.True(pair.RawB.Inject(Ping(forger, pair.A.DiscoPublic, pair.B.DiscoPublic, pair.NodeA, 1), pair.RawA.LocalEndpoint));
        Assert.True(MagicPair.Eventually(() => pair.B.DiscoForged == 1));
        // No pong for a forger: the answer would confirm a path nobody proved.
        Assert.False(pair.RawB.Sent.TryRead(out _));
    }

    [Fact]
    public void TamperedMessage_IsDroppedAsForged()
    {
        using var pair = new MagicPair();
        pair.A.Send([[4, 0, 0, 0, 9]], [5], MagicBind.SyntheticEndpoint(pair.NodeB));
        byte[]? ping = null;
        while (pair.RawA.Sent.TryRead(out var sent))
        {
            if (DiscoCodec.LooksLikeDisco(sent.Datagram))
            {
                ping = sent.Datagram;
                break;
            }
        }
        Assert.NotNull(ping);
        ping[^1] ^= 1;
        var before = pair.B.DiscoForged;
        Assert.True(pair.RawB.Inject(ping, pair.RawA.LocalEndpoint));
        Assert.True(MagicPair.Eventually(() => pair.B.DiscoForged == before + 1));
    }

    [Fact]
    public void ReplayedPing_IsDroppedAndCounted()
    {
        using var pair = new MagicPair();
        pair.A.Send([[4, 0, 0, 0, 9]], [5], MagicBind.SyntheticEndpoint(pair.NodeB));
        byte[]? ping = null;
        while (pair.RawA.Sent.TryRead(out var sent))
        {
            if (DiscoCodec.LooksLikeDisco(sent.Datagram))
            {
                ping = sent.Datagram;
                break;
            }
        }
        Assert.NotNull(ping);
        // The original reached B (A's path turning direct proves B answered it); the copy is a replay.
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect));
        Assert.True(pair.RawB.Inject(ping, pair.RawA.LocalEndpoint));
        Assert.True(MagicPair.Eventually(() => pair.B.DiscoReplayed == 1));
    }

    [Fact]
    public void DiscoThroughTheRelay_FromAnotherNodeThanTheDiscoKeysOwner_IsForged()
    {
        using var pair = new MagicPair();
        var forgerNode = new NodePublic(PrivateKey.Generate().PublicKey());
        // Even a correctly sealed message (here: A's own, replayed through another relay client) must come from A's node key.
        var discoA = PrivateKey.Generate();
        var message = Ping(discoA, new DiscoPublic(discoA.PublicKey()), pair.B.DiscoPublic, pair.NodeA, 1);
        pair.B.SetPeers([new MagicPeerConfig(pair.NodeA, new DiscoPublic(discoA.PublicKey()), [])]);
        Assert.True(pair.Relay.Deliver(forgerNode, pair.NodeB, message));
        Assert.Equal(1, pair.B.DiscoForged);
        Assert.True(pair.Relay.Deliver(pair.NodeA, pair.NodeB, message));
        Assert.Equal(1, pair.B.DiscoForged);
        Assert.Equal(0, pair.B.DiscoReplayed);
    }

    [Fact]
    public void PingCarryingAnotherNodeKey_IsForged()
    {
        using var pair = new MagicPair();
        var discoA = PrivateKey.Generate();
        pair.B.SetPeers([new MagicPeerConfig(pair.NodeA, new DiscoPublic(discoA.PublicKey()), [])]);
        var other = new NodePublic(PrivateKey.Generate().PublicKey());
        Assert.True(pair.RawB.Inject(Ping(discoA, new DiscoPublic(discoA.PublicKey()), pair.B.DiscoPublic, other, 1), pair.RawA.LocalEndpoint));
        Assert.True(MagicPair.Eventually(() => pair.B.DiscoForged == 1));
    }

    [Fact]
    public void GarbageWithTheMagic_NeverReachesTheEngine()
    {
        using var pair = new MagicPair();
        var garbage = new byte[DiscoCodec.Overhead + 3];
        "weft"u8.CopyTo(garbage);
        garbage[4] = 0xd1;
        garbage[5] = 0x5c;
        Assert.True(pair.RawB.Inject(garbage, UdpEndpoint.From(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 7))));
        Assert.True(MagicPair.Eventually(() => pair.B.DiscoUnknownKey == 1));
    }
}
