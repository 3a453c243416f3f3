using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>The implementation pairs the tests run; the first of each pair initiates.</summary>
public static class Pairs
{
    /// <summary>Every pair, starting with wireguard-go on both sides as the harness check.</summary>
    public static TheoryData<WireGuardKind, WireGuardKind> All => new()
    {
        { WireGuardKind.WireGuardGo, WireGuardKind.WireGuardGo },
        { WireGuardKind.Weft, WireGuardKind.WireGuardGo },
        { WireGuardKind.WireGuardGo, WireGuardKind.Weft },
        { WireGuardKind.Weft, WireGuardKind.Weft },
    };

    /// <summary>Pairs with weft on at least one side (tests that need weft's test-only switches).</summary>
    public static TheoryData<WireGuardKind, WireGuardKind> WithWeft => new()
    {
        { WireGuardKind.Weft, WireGuardKind.WireGuardGo },
        { WireGuardKind.WireGuardGo, WireGuardKind.Weft },
        { WireGuardKind.Weft, WireGuardKind.Weft },
    };

    /// <summary>Pairs whose responder is weft (the side a flood or forced load is aimed at).</summary>
    public static TheoryData<WireGuardKind, WireGuardKind> WeftResponds => new()
    {
        { WireGuardKind.WireGuardGo, WireGuardKind.Weft },
        { WireGuardKind.Weft, WireGuardKind.Weft },
    };

    /// <summary>Each implementation on its own.</summary>
    public static TheoryData<WireGuardKind> Kinds => new()
    {
        WireGuardKind.WireGuardGo,
        WireGuardKind.Weft,
    };

    /// <summary>Writes to the current test's output.</summary>
    public static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);

    /// <summary>Starts a pair after checking the lab can run here (skip, or fail under WEFT_REQUIRE_LAB=1).</summary>
    public static Task<WireGuardPair> StartAsync(
        WireGuardKind initiator,
        WireGuardKind responder,
        IReadOnlyDictionary<string, string>? initiatorEnvironment = null,
        IReadOnlyDictionary<string, string>? responderEnvironment = null)
    {
        LabRequirements.EnsureOrSkip();
        return WireGuardPair.StartAsync(initiator, responder, Log, initiatorEnvironment, responderEnvironment);
    }

    /// <summary>Pings until the first reply (the handshake) within a generous hang guard, failing with both sides' state otherwise.</summary>
    public static async Task HandshakeAsync(WireGuardPair pair, int replyWaitSeconds = 10)
    {
        var first = await Ping.RunAsync(pair.Initiator.Namespace, WireGuardPair.ResponderIPv4, count: 1, replyWaitSeconds: replyWaitSeconds);
        Assert.True(first.Received == 1, $"no handshake: {first.Output}\n{await pair.DescribeAsync()}");
    }
}
