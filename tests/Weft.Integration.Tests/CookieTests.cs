using System.Net;
using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>The cookie (DoS mitigation) path: a responder under load answers initiations without a valid mac2 with cookie replies.</summary>
public sealed class CookieTests
{
    private static readonly Dictionary<string, string> UnderLoad = new(StringComparer.Ordinal) { ["WEFT_TEST_UNDER_LOAD"] = "1" };

    [Theory]
    [MemberData(nameof(Pairs.WeftResponds), MemberType = typeof(Pairs))]
    public async Task Cookie_ResponderUnderLoad_InitiatorRetriesWithMac2AndHandshakeCompletes(WireGuardKind initiator, WireGuardKind responder)
    {
        await using var pair = await Pairs.StartAsync(initiator, responder, responderEnvironment: UnderLoad);

        // The initiator retries only when its retransmit timer fires (Rekey-Timeout, 5 s), so allow more than that.
        await Pairs.HandshakeAsync(pair, replyWaitSeconds: 20);
        var ping = await Ping.RunAsync(pair.Initiator.Namespace, WireGuardPair.ResponderIPv4, count: 5);

        Assert.Equal(5, ping.Received);
        var peer = (await pair.Responder.ShowDumpAsync()).Peer(pair.Initiator.Keys!.PublicKey);
        Assert.True(peer.LatestHandshakeUnixSeconds > 0, "weft lists no handshake");
        if (initiator == WireGuardKind.WireGuardGo)
        {
            // Proof the cookie path was taken rather than a plain handshake: wireguard-go logs consuming the reply.
            Assert.Contains("cookie response", pair.Initiator.Process.Output, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [MemberData(nameof(Pairs.WeftResponds), MemberType = typeof(Pairs))]
    public async Task Cookie_HandshakeFlood_FlooderGetsCookieRepliesWhileRealPeerKeepsPinging(WireGuardKind initiator, WireGuardKind responder)
    {
        await using var pair = await Pairs.StartAsync(initiator, responder, responderEnvironment: UnderLoad);
        await Pairs.HandshakeAsync(pair, replyWaitSeconds: 20);
        // The flooder gets an address of its own next to the real initiator.
        await pair.Initiator.Namespace.AddAddressAsync(pair.Link.AInterface, "10.200.0.9/24");
        var socket = pair.Initiator.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse("10.200.0.9"), 0));
        using var flooder = new HandshakeFlooder(
            socket,
            new IPEndPoint(IPAddress.Parse(pair.Link.BIPv4), WireGuardPair.ListenPort),
            pair.Responder.Keys!.PublicKeyBytes);
        var receiving = flooder.ReceiveAsync();
        using var stop = new CancellationTokenSource();

        var flooding = flooder.FloodAsync(burst: 20, period: TimeSpan.FromMilliseconds(10), stop.Token);
        var ping = await Ping.RunAsync(pair.Initiator.Namespace, WireGuardPair.ResponderIPv4, count: 30, interval: 0.2);
        await stop.CancelAsync();
        await flooding;
        await flooder.FirstCookieReply.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        flooder.Dispose();
        await receiving;

        Pairs.Log($"flood: {flooder.Sent} initiations, {flooder.CookieReplies} cookie replies, {flooder.OtherReplies} other; ping {ping.Received}/{ping.Transmitted}");
        Assert.True(flooder.CookieReplies > 0);
        Assert.Equal(0, flooder.OtherReplies);
        Assert.True(ping.Lost <= 3, $"{ping.Lost} of {ping.Transmitted} pings lost during the flood\n{ping.Output}");
    }
}
