using Microsoft.Extensions.Time.Testing;
using Weft.Core.Crypto;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

/// <summary>
/// Messages and keys against bytes derived by a second implementation, tests/vectors/derive_handshake.py
/// (Python hashlib BLAKE2s and the cryptography package), from the same fixed keys, timestamp and indexes.
/// </summary>
public class HandshakeVectorTests
{
    private static readonly Key32 InitiatorStatic = Hex32("e84b5a6e2e1c0b6e8c3e8e2f6e1f3a4d5c6b7a8998a7b6c5d4e3f2011f2e3d4c");
    private static readonly Key32 ResponderStatic = Hex32("98a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e4f");
    private static readonly Key32 InitiatorEphemeral = Hex32("20212223242526272829303132333435363738394041424344454647484950ff");
    private static readonly Key32 ResponderEphemeral = Hex32("f0e0d0c0b0a09080706050403020100f1e2d3c4b5a69788796a5b4c3d2e1f06f");
    private static readonly Key32 Preshared = Hex32(string.Concat(Enumerable.Repeat("a5", 32)));
    private const uint InitiatorIndex = 0x11223344;
    private const uint ResponderIndex = 0x55667788;

    // 2025-01-02T03:04:05.1234567Z, which the script writes as unix seconds 1735787045 and 123456700 ns.
    private static readonly DateTimeOffset Timestamp = DateTimeOffset.FromUnixTimeSeconds(1735787045).AddTicks(1234567);

    // Output of: python3 tests/vectors/derive_handshake.py
    private const string InitiatorStaticPublic = "6ca2f0c5c574a8dfb92c2d79c583ff991c61718a676513f5a2f920e99613c10b";
    private const string ResponderStaticPublic = "7ee1114db727263624da899815825ce5a8b5ce3d2c0a60272feac2205f836634";
    private const string Initiation = "010000004433221128ba94e91c535d0dedbd74dada952b31978d3864aea99841b4755316d433ff4743b4c44d2c16a4fe166e84e6172579b1fc00b87efe9e9001f8cc3010b929f3b756459590f1c9b5753041da341562461c43b3d6db1cd030da294c058a73d1779fc7fa68d5fa91d2fc3ec5c53d18b86361a1a41d0344b7f7ce1bb3dd5800000000000000000000000000000000";
    private const string NoPskResponse = "020000008877665544332211b9613c759c6e8059030ab97faffb6c2fac13b5a2d410ac8b7ca92af4eee6ee514455003274ee58c358182e67fe85a9b1b2cd0ece32bf7d36fe39e9ad245195a000000000000000000000000000000000";
    private const string NoPskInitiatorSend = "3dfe630c6d95703964a4b6030a8ac9b597b24d9cf8b8f40ff7ce0eed49126f78";
    private const string NoPskInitiatorReceive = "e6cfeb6008307bbd1c3292b54276f15056150dfc19aa41e3dcd233151984f22a";
    private const string NoPskTransport = "04000000887766550000000000000000516d3ae497d9a107017ee318320535a6186f0ae30f1ca727289bd386f1ec8933";
    private const string PskResponse = "020000008877665544332211b9613c759c6e8059030ab97faffb6c2fac13b5a2d410ac8b7ca92af4eee6ee51c10a3f109a808e7b9b06579352c93f59325cd1a15967a82181959d6809b38cdd00000000000000000000000000000000";
    private const string PskInitiatorSend = "c8633028d09f25ae77a9d11edcf6593b00a8f3e179d71a6b9a2fa4d6e7ddc7e8";
    private const string PskInitiatorReceive = "c4bcc9b6d6da67227d9baa944476b8824ded60c16b519438d5631909b395204a";
    private const string PskTransport = "040000008877665500000000000000001aafe9edfd7cca2be2a229f47144af103f329353ae49043c16e383cc3633093e";

    [Fact]
    public void StaticIdentity_FixedPrivateKeys_HaveScriptPublicKeys()
    {
        Assert.Equal(InitiatorStaticPublic, new StaticIdentity(InitiatorStatic).PublicKey.ToHex());
        Assert.Equal(ResponderStaticPublic, new StaticIdentity(ResponderStatic).PublicKey.ToHex());
    }

    [Theory]
    [InlineData(false, NoPskResponse, NoPskInitiatorSend, NoPskInitiatorReceive, NoPskTransport)]
    [InlineData(true, PskResponse, PskInitiatorSend, PskInitiatorReceive, PskTransport)]
    public void Handshake_FixedInputs_MatchesSecondImplementation(bool withPsk, string response, string initiatorSend, string initiatorReceive, string transport)
    {
        var time = new FakeTimeProvider(Timestamp);
        var initiator = new StaticIdentity(InitiatorStatic);
        var responder = new StaticIdentity(ResponderStatic);
        var psk = withPsk ? Preshared : default;
        var initiatorSide = new Handshake(responder.PublicKey) { PresharedKey = psk };
        var responderSide = new Handshake(initiator.PublicKey) { PresharedKey = psk };
        Assert.True(initiatorSide.SetLocalIdentity(initiator));
        Assert.True(responderSide.SetLocalIdentity(responder));

        var initiation = new byte[Constants.MessageInitiationSize];
        Assert.True(NoiseProtocol.TryCreateInitiation(initiator, initiatorSide, InitiatorIndex, Tai64n.FromDateTime(Timestamp), initiation, InitiatorEphemeral));
        new CookieGenerator(responder.PublicKey, time).AddMacs(initiation);
        Assert.Equal(Initiation, Convert.ToHexStringLower(initiation));

        Assert.True(new CookieChecker(responder.PublicKey, time).CheckMac1(initiation));
        Assert.True(NoiseProtocol.TryConsumeInitiation(responder, initiation, _ => responderSide, time.GetTimestamp(), time, out _, out var remoteIndex));
        Assert.Equal(InitiatorIndex, remoteIndex);

        var responseMessage = new byte[Constants.MessageResponseSize];
        Assert.True(NoiseProtocol.TryCreateResponse(responderSide, ResponderIndex, responseMessage, ResponderEphemeral));
        new CookieGenerator(initiator.PublicKey, time).AddMacs(responseMessage);
        Assert.Equal(response, Convert.ToHexStringLower(responseMessage));

        Assert.True(new CookieChecker(initiator.PublicKey, time).CheckMac1(responseMessage));
        Assert.True(NoiseProtocol.TryConsumeResponse(initiator, responseMessage, _ => initiatorSide, out _));

        using var initiatorKeys = NoiseProtocol.BeginSession(initiatorSide, 0);
        using var responderKeys = NoiseProtocol.BeginSession(responderSide, 0);
        Assert.NotNull(initiatorKeys);
        Assert.NotNull(responderKeys);

        // The keys themselves are private to Keypair; the transport message proves the send key,
        // and opening messages sealed with the script's keys proves both directions.
        var buffer = new byte[48];
        "hello weft"u8.CopyTo(buffer.AsSpan(16));
        Assert.True(initiatorKeys.TryNextCounter(out var counter));
        Assert.Equal(48, initiatorKeys.Seal(buffer, 10, counter));
        Assert.Equal(transport, Convert.ToHexStringLower(buffer));
        Assert.True(responderKeys.TryOpen(buffer, 48, out _, out _));

        using var scriptInitiatorKeys = new Keypair(Hex32(initiatorSend), Hex32(initiatorReceive), true, InitiatorIndex, ResponderIndex, 0);
        KeypairTests.AssertRoundTrip(scriptInitiatorKeys, responderKeys, "to the responder"u8);
        KeypairTests.AssertRoundTrip(responderKeys, scriptInitiatorKeys, "to the initiator"u8);
    }

    private static Key32 Hex32(string hex) => Key32.From(Convert.FromHexString(hex));
}
