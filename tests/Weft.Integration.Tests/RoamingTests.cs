using System.Globalization;
using System.Net;
using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>A peer whose address changes keeps its tunnel: the other side learns the new endpoint from authenticated packets.</summary>
public sealed class RoamingTests
{
    [Theory]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    public async Task Roaming_EachSideChangesAddress_TrafficContinuesAndOtherSideSeesNewEndpoint(WireGuardKind initiator, WireGuardKind responder)
    {
        await using var pair = await Pairs.StartAsync(initiator, responder);
        await Pairs.HandshakeAsync(pair);

        // Each side roams once, so each implementation is both the roamer and the side that must follow.
        await RoamAsync(pair, pair.Responder, pair.Initiator, pair.Link.BInterface, pair.Link.BIPv4, "10.200.0.3", WireGuardPair.InitiatorIPv4, WireGuardPair.ResponderIPv4);
        await RoamAsync(pair, pair.Initiator, pair.Responder, pair.Link.AInterface, pair.Link.AIPv4, "10.200.0.4", WireGuardPair.ResponderIPv4, WireGuardPair.InitiatorIPv4);
    }

    private static async Task RoamAsync(
        WireGuardPair pair,
        WireGuardProcess roamer,
        WireGuardProcess other,
        string roamerVeth,
        string oldAddress,
        string newAddress,
        string otherTunnel,
        string roamerTunnel)
    {
        var before = (await other.ShowDumpAsync()).Peer(roamer.Keys!.PublicKey).Endpoint;
        Assert.Equal(Endpoint(oldAddress), before);

        // The roamer's WireGuard packets leave from a new address, as after a NAT rebinding or a move
        // to another network. Rewriting the source statelessly (rather than deleting the address) keeps
        // the roamer's own sticky source address valid: wireguard-go cannot send from a deleted one.
        await roamer.Namespace.AddAddressAsync(roamerVeth, newAddress + "/32");
        await roamer.Namespace.ApplyNftablesAsync(string.Create(CultureInfo.InvariantCulture, $$"""
            table ip roam {
              chain out {
                type filter hook postrouting priority 300; policy accept;
                ip saddr {{oldAddress}} udp sport {{WireGuardPair.ListenPort}} ip saddr set {{newAddress}}
              }
            }
            """));
        var fromRoamer = await Ping.RunAsync(roamer.Namespace, otherTunnel, count: 5, replyWaitSeconds: 5);
        var toRoamer = await Ping.RunAsync(other.Namespace, roamerTunnel, count: 5);

        var after = (await other.ShowDumpAsync()).Peer(roamer.Keys.PublicKey).Endpoint;
        Assert.True(fromRoamer.Received == 5, $"after {roamer} roamed: {fromRoamer.Received}/5 replies\n{fromRoamer.Output}\n{await pair.DescribeAsync()}");
        Assert.Equal(5, toRoamer.Received);
        Assert.Equal(Endpoint(newAddress), after);
    }

    private static string Endpoint(string address) => new IPEndPoint(IPAddress.Parse(address), WireGuardPair.ListenPort).ToString();
}
