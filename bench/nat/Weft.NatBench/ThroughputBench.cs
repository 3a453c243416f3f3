using System.Globalization;
using Weft.Lab;
using Weft.Lab.Nat;

namespace Weft.NatBench;

/// <summary>One iperf3 run through the tunnel: the path it took, what arrived, and the control process's CPU meanwhile.</summary>
internal sealed record ThroughputResult(string Path, string Test, double MegabitsPerSecond, double PacketsPerSecond, long Bytes, double ControlCpuSeconds)
{
    /// <summary>Control CPU seconds per gigabit carried (meaningful when the relay embedded in control carried it).</summary>
    public double CpuSecondsPerGigabit => Bytes == 0 ? double.NaN : ControlCpuSeconds / (Bytes * 8 / 1e9);
}

/// <summary>
/// Relay versus direct in one run: an easy/easy pair, a tailnet with only the relay embedded in `weft control` (so
/// every relayed byte crosses that process), iperf3 through the tunnel (TCP, then UDP with 1200-byte datagrams at full
/// rate for packets per second) once on the direct path and once with the direct path cut at a router, reading the
/// control process's CPU time around each run.
/// </summary>
internal static class ThroughputBench
{
    /// <summary>UDP datagram size: fits the tunnel's 1280-byte MTU with IP and UDP headers.</summary>
    private const int UdpPayload = 1200;

    public static async Task<IReadOnlyList<ThroughputResult>> RunAsync(int seconds, Action<string> log)
    {
        await using var lab = await NetworkLab.CreateAsync(log).ConfigureAwait(false);
        var nat = await NatLab.CreateAsync(lab).ConfigureAwait(false);
        await using var tailnet = await NatTailnet.StartAsync(nat, secondRelay: false).ConfigureAwait(false);
        var siteA = await nat.AddSiteAsync("ta", NatKind.Easy).ConfigureAwait(false);
        var siteB = await nat.AddSiteAsync("tb", NatKind.Easy).ConfigureAwait(false);
        var a = await tailnet.AddNodeAsync("a", siteA).ConfigureAwait(false);
        var b = await tailnet.AddNodeAsync("b", siteB).ConfigureAwait(false);
        await using var server = await Iperf3.StartServerAsync(b.Host.Namespace).ConfigureAwait(false);
        var target = await b.IPv4Async().ConfigureAwait(false);
        var results = new List<ThroughputResult>();

        await using (await NatTailnet.StartPingStreamAsync(a, b).ConfigureAwait(false))
        {
            if (!await PairBench.WaitForBothAsync(a, b, PathKind.Direct, PairBench.StepGuard).ConfigureAwait(false))
            {
                throw new LabException($"no direct path for the throughput pair: {await PairBench.PathAsync(a, b).ConfigureAwait(false)}");
            }
        }
        results.Add(await MeasureAsync(tailnet, a, b, target, seconds, udp: false).ConfigureAwait(false));
        results.Add(await MeasureAsync(tailnet, a, b, target, seconds, udp: true).ConfigureAwait(false));

        await tailnet.BreakDirectPathAsync(a, b).ConfigureAwait(false);
        await using (await NatTailnet.StartPingStreamAsync(a, b).ConfigureAwait(false))
        {
            if (!await PairBench.WaitForBothAsync(a, b, PathKind.Relay, PairBench.StepGuard).ConfigureAwait(false))
            {
                throw new LabException($"the throughput pair did not move to the relay: {await PairBench.PathAsync(a, b).ConfigureAwait(false)}");
            }
        }
        results.Add(await MeasureAsync(tailnet, a, b, target, seconds, udp: false).ConfigureAwait(false));
        results.Add(await MeasureAsync(tailnet, a, b, target, seconds, udp: true).ConfigureAwait(false));
        return results;
    }

    private static async Task<ThroughputResult> MeasureAsync(NatTailnet tailnet, NatNode a, NatNode b, string target, int seconds, bool udp)
    {
        var before = ProcessCpu.Seconds(tailnet.Control.Process.Id);
        List<string> arguments = ["-t", seconds.ToString(CultureInfo.InvariantCulture)];
        if (udp)
        {
            // Full rate, datagrams that fit the tunnel's 1280-byte MTU: packets per second is the figure.
            arguments.AddRange(["-u", "-b", "0", "-l", UdpPayload.ToString(CultureInfo.InvariantCulture)]);
        }
        var run = await Iperf3.RunClientAsync(a.Host.Namespace, target, arguments).ConfigureAwait(false);
        var cpu = ProcessCpu.Seconds(tailnet.Control.Process.Id) - before;
        // The path during the run, read right after it (iperf3 kept the peer active throughout).
        var path = await PairBench.PathAsync(a, b).ConfigureAwait(false);
        // Every datagram carries 1200 bytes: received bytes give the packets (iperf3 3.12 reports UDP as sum_received).
        var packetsPerSecond = udp ? run.ReceivedBytes / (double)UdpPayload / seconds : double.NaN;
        return new ThroughputResult(path, udp ? "UDP 1200 B" : "TCP", run.ReceivedBitsPerSecond / 1e6, packetsPerSecond, run.ReceivedBytes, cpu);
    }
}
