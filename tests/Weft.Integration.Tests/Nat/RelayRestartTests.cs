using Weft.Lab;
using Weft.Lab.Nat;

namespace Weft.Integration.Tests.Nat;

/// <summary>
/// A pair that only the relay can join (one side's firewall drops all UDP) keeps working across a restart of the
/// relay: here the one embedded in `weft control`, so the coordination server restarts with it. The nodes reconnect
/// by themselves and traffic resumes.
/// </summary>
public sealed class RelayRestartTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RelayRestart_ClientsReconnect_AndRelayedTrafficResumes()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        // One region only: every relayed byte goes through the relay that restarts.
        await using var tailnet = await NatTailnet.StartAsync(nat, secondRelay: false);
        var blocked = await nat.AddSiteAsync("fw", NatKind.UdpBlocked);
        var easy = await nat.AddSiteAsync("easy", NatKind.Easy);
        var a = await tailnet.AddNodeAsync("a", blocked);
        var b = await tailnet.AddNodeAsync("b", easy);
        await NatTailnet.WaitForPeerAsync(a, b);
        await NatTailnet.WaitForPeerAsync(b, a);
        await using var traffic = await NatTailnet.StartPingStreamAsync(a, b);
        var before = await NatTailnet.WaitForPathAsync(a, b, PathKind.Relay, Guard);
        Assert.NotNull(await traffic.WaitForReplyAfterAsync(DateTimeOffset.UtcNow, Guard));

        await tailnet.Control.RestartAsync();
        var restarted = DateTimeOffset.UtcNow;
        var resumed = await traffic.WaitForReplyAfterAsync(restarted, Guard);

        Assert.NotNull(resumed);
        Assert.True(resumed.Value.Time > restarted);
        var after = await NatTailnet.WaitForPathAsync(a, b, PathKind.Relay, Guard);
        Assert.Equal(before.RelayRegion, after.RelayRegion);
        Assert.False(string.IsNullOrEmpty(before.RelayRegion));
    }
}
