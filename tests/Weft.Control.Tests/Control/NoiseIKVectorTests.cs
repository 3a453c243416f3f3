using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Control.Tests.Control;

/// <summary>Our Noise IK against tests/vectors/derive_control_ik.py, an independent Python derivation.</summary>
public sealed class NoiseIKVectorTests
{
    private static readonly Key32 MachineStatic = Hex("58f1a3c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e4f");
    private static readonly Key32 ServerStatic = Hex("a0112233445566778899aabbccddeeff00112233445566778899aabbccddee7f");
    private static readonly Key32 MachineEphemeral = Hex("c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e667");
    private static readonly Key32 ServerEphemeral = Hex("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e6f");
    private static readonly byte[] Version = [0, 1];

    private const string ServerPublic = "adb877bf086f0d5a7dd3442c9508895b6a8b401c05ae48f246b0fc7a37320922";
    private const string MachinePublic = "45154e7aee62a57fe67e0e454e04f2926651fd19d684c0f11c94ae85594be10e";
    private const string Message1 = "4d5bab89b0733d9d8dcecf04f321c90b761b7765a6bdb2bddbfad3e7abdf1f66654dcc8fe904fb53cad4aa171ace928213f1fb011097569f65b6cf16f9a0062582e98a37e6b3b0f439701301084c3e3dc4ec7472e4323b80092128f1e8868b971c69";
    private const string Message2 = "d89e3bad79437dbed9f843418304f460ff05c7fe81fe4a9577a804cb9367ff66432716ce4e8759ab9eddbb3dade50388809f";
    private const string HandshakeHash = "cca5172097f74f98f439371f839ab01fcb1b2338380ec3b62552ca50a0a12f9e";
    private const string ClientFrame0 = "c6332626d9fdbdb9e31e0bd8f8020b2d5fa2a53ed6ef7a31a7732814fb5056";
    private const string ClientFrame1 = "b1e15dbbb7c6e92702a8d8b54d46047e44b637a63a0d";
    private const string ServerFrame0 = "72cc36f93da28eaaaf98d26cdbcbaa6d92521eae040335e7b325";

    private static Key32 Hex(string s) => Key32.From(Convert.FromHexString(s));

    [Fact]
    public void Handshake_FixedKeys_MatchesIndependentDerivation()
    {
        Assert.Equal(ServerPublic, Curve25519.PublicKey(ServerStatic).ToHex());
        var initiator = NoiseIK.Initiator(MachineStatic, Curve25519.PublicKey(ServerStatic), MachineEphemeral);
        var responder = NoiseIK.Responder(ServerStatic, ServerEphemeral);

        var m1 = initiator.WriteMessage1(Version);
        Assert.Equal(Message1, Convert.ToHexStringLower(m1));
        Assert.True(responder.TryReadMessage1(m1, out var p1));
        Assert.Equal(Version, p1);
        Assert.Equal(MachinePublic, responder.RemoteStatic.ToHex());

        var m2 = responder.WriteMessage2(Version);
        Assert.Equal(Message2, Convert.ToHexStringLower(m2));
        Assert.True(initiator.TryReadMessage2(m2, out var p2));
        Assert.Equal(Version, p2);
        Assert.Equal(HandshakeHash, initiator.HandshakeHash.ToHex());
        Assert.Equal(HandshakeHash, responder.HandshakeHash.ToHex());
    }

    [Fact]
    public void Transport_FixedKeys_MatchesIndependentDerivation()
    {
        var (clientSend, clientReceive, serverSend, serverReceive) = Established();
        Assert.Equal(ClientFrame0, Seal(clientSend, """{"register":{}}"""u8));
        Assert.Equal(ClientFrame1, Seal(clientSend, "second"u8));
        Assert.Equal(ServerFrame0, Seal(serverSend, """{"map":{}}"""u8));

        var plain = new byte[15];
        Assert.True(serverReceive.TryOpen(Convert.FromHexString(ClientFrame0), plain));
        Assert.Equal("""{"register":{}}"""u8.ToArray(), plain);
        Assert.True(clientReceive.TryOpen(Convert.FromHexString(ServerFrame0), new byte[10]));
    }

    [Fact]
    public void Transport_ReplayedFrame_IsRejected()
    {
        var (_, _, _, serverReceive) = Established();
        var frame = Convert.FromHexString(ClientFrame0);
        Assert.True(serverReceive.TryOpen(frame, new byte[15]));
        Assert.False(serverReceive.TryOpen(frame, new byte[15]));
    }

    [Fact]
    public void Transport_ReorderedFrame_IsRejected()
    {
        var (_, _, _, serverReceive) = Established();
        Assert.False(serverReceive.TryOpen(Convert.FromHexString(ClientFrame1), new byte[6]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    [InlineData(90)]
    [InlineData(97)]
    public void Message1_AnyFlippedBit_IsRejected(int index)
    {
        var m1 = Convert.FromHexString(Message1);
        m1[index] ^= 0x01;
        Assert.False(NoiseIK.Responder(ServerStatic, ServerEphemeral).TryReadMessage1(m1, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    [InlineData(49)]
    public void Message2_AnyFlippedBit_IsRejected(int index)
    {
        var initiator = NoiseIK.Initiator(MachineStatic, Curve25519.PublicKey(ServerStatic), MachineEphemeral);
        initiator.WriteMessage1(Version);
        var m2 = Convert.FromHexString(Message2);
        m2[index] ^= 0x80;
        Assert.False(initiator.TryReadMessage2(m2, out _));
    }

    [Fact]
    public void Message1_ForAnotherServerKey_IsRejected()
    {
        var other = Curve25519.GeneratePrivateKey();
        Assert.False(NoiseIK.Responder(other).TryReadMessage1(Convert.FromHexString(Message1), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(95)]
    public void Message1_Truncated_IsRejected(int length)
    {
        Assert.False(NoiseIK.Responder(ServerStatic).TryReadMessage1(Convert.FromHexString(Message1).AsSpan(0, length), out _));
    }

    private static string Seal(ControlCipher cipher, ReadOnlySpan<byte> plaintext)
    {
        var c = new byte[plaintext.Length + Aead.TagLength];
        cipher.Seal(plaintext, c);
        return Convert.ToHexStringLower(c);
    }

    private static (ControlCipher, ControlCipher, ControlCipher, ControlCipher) Established()
    {
        var initiator = NoiseIK.Initiator(MachineStatic, Curve25519.PublicKey(ServerStatic), MachineEphemeral);
        var responder = NoiseIK.Responder(ServerStatic, ServerEphemeral);
        Assert.True(responder.TryReadMessage1(initiator.WriteMessage1(Version), out _));
        Assert.True(initiator.TryReadMessage2(responder.WriteMessage2(Version), out _));
        var (cs, cr) = initiator.Split();
        var (ss, sr) = responder.Split();
        return (cs, cr, ss, sr);
    }
}
