using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>Session rekeying while traffic flows, with weft's protocol clock sped up 20x.</summary>
public sealed class RekeyTests
{
    // WEFT_TEST_TIME_SCALE=0.05: rekey after 6 s, reject after 9 s; 15 s of pings crosses both.
    private static readonly Dictionary<string, string> FastClock = new(StringComparer.Ordinal) { ["WEFT_TEST_TIME_SCALE"] = "0.05" };

    [Theory]
    [MemberData(nameof(Pairs.WithWeft), MemberType = typeof(Pairs))]
    public async Task Rekey_UnderSteadyPing_HandshakeAdvancesAndAtMostTwoPingsLost(WireGuardKind initiator, WireGuardKind responder)
    {
        await using var pair = await Pairs.StartAsync(initiator, responder, FastClock, FastClock);
        await Pairs.HandshakeAsync(pair);
        // Ping from weft's side: its clock is the fast one, so it is the side that must start the new handshake.
        var (weft, other) = pair.Initiator.Kind == WireGuardKind.Weft ? (pair.Initiator, pair.Responder) : (pair.Responder, pair.Initiator);
        var target = other == pair.Initiator ? WireGuardPair.InitiatorIPv4 : WireGuardPair.ResponderIPv4;
        var first = (await weft.ShowDumpAsync()).Peer(other.Keys!.PublicKey).LatestHandshakeUnixSeconds;

        var ping = await Ping.RunAsync(weft.Namespace, target, count: 75, interval: 0.2);

        var last = (await weft.ShowDumpAsync()).Peer(other.Keys.PublicKey).LatestHandshakeUnixSeconds;
        var otherLast = (await other.ShowDumpAsync()).Peer(weft.Keys!.PublicKey).LatestHandshakeUnixSeconds;
        Pairs.Log($"handshake {first} -> {last} (other side {otherLast}); ping {ping.Received}/{ping.Transmitted}");
        Assert.True(last > first, $"weft's latest handshake did not advance from {first}\n{await pair.DescribeAsync()}");
        Assert.True(otherLast > first, $"the other side's latest handshake did not advance from {first}");
        Assert.True(ping.Lost <= 2, $"{ping.Lost} of {ping.Transmitted} pings lost across the rekey\n{ping.Output}");
    }
}
