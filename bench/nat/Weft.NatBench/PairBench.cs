using System.Diagnostics;
using Weft.Lab;
using Weft.Lab.Nat;

namespace Weft.NatBench;

/// <summary>What one pair measured; null where the step did not happen (say why in <see cref="Note"/>).</summary>
internal sealed record PairResult(
    NatPair Pair,
    TimeSpan? PeersSeen,
    TimeSpan? FirstReply,
    string FirstPath,
    TimeSpan? Direct,
    string DirectPath,
    TimeSpan? Fallback,
    TimeSpan? Recovery,
    string Note);

/// <summary>
/// Times one pair in a fresh lab: both nodes up, first ping reply, direct path on both sides, and when the path can be
/// cut at a router, the first reply after the cut and the direct path again after the restore. Replies are read off a
/// 50 ms `ping -D` stream, paths off each node's status polled every 50 ms: every figure is good to about 50 ms.
/// </summary>
internal static class PairBench
{
    /// <summary>How long a pair gets to find a direct path before it counts as relayed: three times the 5 s target.</summary>
    public static readonly TimeSpan DirectWatch = TimeSpan.FromSeconds(15);

    /// <summary>Hang guard for the first reply, the fallback and the recovery.</summary>
    public static readonly TimeSpan StepGuard = TimeSpan.FromSeconds(60);

    /// <summary>Measures <paramref name="pair"/> once; with <paramref name="printLogs"/> both daemons' logs go to <paramref name="log"/> afterwards.</summary>
    public static async Task<PairResult> RunAsync(NatPair pair, Action<string> log, bool printLogs)
    {
        await using var lab = await NetworkLab.CreateAsync(log).ConfigureAwait(false);
        var nat = await NatLab.CreateAsync(lab).ConfigureAwait(false);
        await using var tailnet = await NatTailnet.StartAsync(nat).ConfigureAwait(false);
        var (a, b) = await pair.StartNodesAsync(nat, tailnet).ConfigureAwait(false);
        try
        {
            return await MeasureAsync(pair, tailnet, a, b).ConfigureAwait(false);
        }
        finally
        {
            if (printLogs)
            {
                log($"--- {a} ---\n{a.Daemon.Process.Output}\n--- {b} ---\n{b.Daemon.Process.Output}");
            }
        }
    }

    private static async Task<PairResult> MeasureAsync(NatPair pair, NatTailnet tailnet, NatNode a, NatNode b)
    {

        await Task.WhenAll(a.UpAsync(), b.UpAsync()).ConfigureAwait(false);
        var bothUp = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await using var traffic = await NatTailnet.StartPingStreamAsync(a, b).ConfigureAwait(false);
        // How long the netmaps take to carry each node to the other, to tell control's share of the first reply apart.
        var peersSeen = await WaitForPeersAsync(a, b, StepGuard).ConfigureAwait(false) ? clock.Elapsed : (TimeSpan?)null;
        var first = await traffic.WaitForReplyAfterAsync(bothUp, StepGuard).ConfigureAwait(false);
        if (first is null)
        {
            return new PairResult(pair, peersSeen, null, "", null, "", null, null, "no ping reply at all");
        }
        var firstPath = await PathAsync(a, b).ConfigureAwait(false);

        var direct = await WaitForBothAsync(a, b, PathKind.Direct, DirectWatch - clock.Elapsed).ConfigureAwait(false);
        var directAt = clock.Elapsed;
        if (!direct)
        {
            var path = await PathAsync(a, b).ConfigureAwait(false);
            return new PairResult(pair, peersSeen, first.Value.Time - bothUp, firstPath, null, path, null, null, $"no direct path within {DirectWatch.TotalSeconds:F0} s");
        }
        var directPath = await PathAsync(a, b).ConfigureAwait(false);
        if (pair.SameLan)
        {
            return new PairResult(pair, peersSeen, first.Value.Time - bothUp, firstPath, directAt, directPath, null, null, "same LAN: no router to cut");
        }

        await tailnet.BreakDirectPathAsync(a, b).ConfigureAwait(false);
        var cutAt = DateTimeOffset.UtcNow;
        var relayed = await traffic.WaitForReplyAfterAsync(cutAt, StepGuard).ConfigureAwait(false);
        var fallback = relayed?.Time - cutAt;
        // Both sides on the relay before the restore, so the recovery below starts from a settled state.
        await WaitForBothAsync(a, b, PathKind.Relay, StepGuard).ConfigureAwait(false);

        await tailnet.RestoreDirectPathAsync(a).ConfigureAwait(false);
        var restore = Stopwatch.StartNew();
        var back = await WaitForBothAsync(a, b, PathKind.Direct, StepGuard).ConfigureAwait(false);
        var recovery = back ? restore.Elapsed : (TimeSpan?)null;
        var note = (relayed is null ? "no reply after the cut; " : "") + (back ? "" : "no direct path after the restore");
        return new PairResult(pair, peersSeen, first.Value.Time - bothUp, firstPath, directAt, directPath, fallback, recovery, note.TrimEnd(' ', ';'));
    }

    /// <summary>Polls both nodes every <see cref="NatTailnet.StatusPollInterval"/> until each has a <paramref name="kind"/> path to the other.</summary>
    public static async Task<bool> WaitForBothAsync(NatNode a, NatNode b, PathKind kind, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (await KindAsync(a, b).ConfigureAwait(false) == kind && await KindAsync(b, a).ConfigureAwait(false) == kind)
            {
                return true;
            }
            await Task.Delay(NatTailnet.StatusPollInterval).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>Polls both nodes until each lists the other online with a tailnet address.</summary>
    private static async Task<bool> WaitForPeersAsync(NatNode a, NatNode b, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (await SeesAsync(a, b).ConfigureAwait(false) && await SeesAsync(b, a).ConfigureAwait(false))
            {
                return true;
            }
            await Task.Delay(NatTailnet.StatusPollInterval).ConfigureAwait(false);
        }
        return false;

        static async Task<bool> SeesAsync(NatNode node, NatNode peer) =>
            (await node.StatusAsync().ConfigureAwait(false)).Peers.Any(p => p.Name == peer.Hostname && p.Online && p.Addresses.Count > 0);
    }

    /// <summary>"a: PATH / b: PATH" as the two nodes report it now.</summary>
    public static async Task<string> PathAsync(NatNode a, NatNode b)
    {
        var ab = (await a.StatusAsync().ConfigureAwait(false)).Peers.FirstOrDefault(p => p.Name == b.Hostname)?.Path ?? "?";
        var ba = (await b.StatusAsync().ConfigureAwait(false)).Peers.FirstOrDefault(p => p.Name == a.Hostname)?.Path ?? "?";
        return $"{(ab.Length == 0 ? "idle" : ab)} / {(ba.Length == 0 ? "idle" : ba)}";
    }

    private static async Task<PathKind?> KindAsync(NatNode node, NatNode peer) =>
        (await node.StatusAsync().ConfigureAwait(false)).Peers.FirstOrDefault(p => p.Name == peer.Hostname)?.PathKind;
}
