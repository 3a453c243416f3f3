using Weft.Lab.Nat;

namespace Weft.NatBench;

/// <summary>
/// One pair of the matrix: which sites the two nodes sit behind and whether a direct path is expected (the issue's
/// targets: same LAN, easy/easy, easy/hard and any pair with a port-mapping router go direct; the rest stay relayed).
/// </summary>
internal sealed record NatPair(string Name, NatKind KindA, NatKind KindB, bool SameLan, bool DirectExpected)
{
    /// <summary>Every pair the benchmark knows, in the order it prints them.</summary>
    public static IReadOnlyList<NatPair> All { get; } =
    [
        new("lan", NatKind.Easy, NatKind.Easy, SameLan: true, DirectExpected: true),
        new("easy-easy", NatKind.Easy, NatKind.Easy, SameLan: false, DirectExpected: true),
        new("easy-hard", NatKind.Easy, NatKind.Hard, SameLan: false, DirectExpected: true),
        new("upnp-hard", NatKind.Upnp, NatKind.Hard, SameLan: false, DirectExpected: true),
        new("hard-hard", NatKind.Hard, NatKind.Hard, SameLan: false, DirectExpected: false),
        new("udpblocked-easy", NatKind.UdpBlocked, NatKind.Easy, SameLan: false, DirectExpected: false),
    ];

    /// <summary>Builds the pair's sites in <paramref name="nat"/> and starts (without logging in) node "a" and node "b".</summary>
    public async Task<(NatNode A, NatNode B)> StartNodesAsync(NatLab nat, NatTailnet tailnet)
    {
        if (SameLan)
        {
            var site = await nat.AddSiteAsync("lan", KindA, hosts: 2).ConfigureAwait(false);
            return (await tailnet.StartNodeAsync("a", site, 0).ConfigureAwait(false), await tailnet.StartNodeAsync("b", site, 1).ConfigureAwait(false));
        }
        var siteA = await nat.AddSiteAsync("sa", KindA).ConfigureAwait(false);
        var siteB = await nat.AddSiteAsync("sb", KindB).ConfigureAwait(false);
        return (await tailnet.StartNodeAsync("a", siteA).ConfigureAwait(false), await tailnet.StartNodeAsync("b", siteB).ConfigureAwait(false));
    }
}
