using System.Globalization;
using Weft.Lab;
using Weft.NatBench;

// bench/nat/run.sh: `Weft.NatBench [--pairs lan,easy-easy,...] [--runs 1] [--seconds 5] [--no-throughput] [--logs]`
// measures the NAT traversal matrix in the NAT lab (as root, with WEFT_EXE pointing at a Release weft) and prints
// markdown tables, one row per pair and run; --logs prints both daemons' logs after each run to stderr.
var pairs = NatPair.All.Select(p => p.Name).ToList();
var seconds = 5;
var throughput = true;
var runs = 1;
var logs = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--pairs" when i + 1 < args.Length:
            pairs = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            break;
        case "--seconds" when i + 1 < args.Length:
            seconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--runs" when i + 1 < args.Length:
            runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--no-throughput":
            throughput = false;
            break;
        case "--logs":
            logs = true;
            break;
        default:
            Console.Error.WriteLine($"usage: Weft.NatBench [--pairs {string.Join(',', NatPair.All.Select(p => p.Name))}] [--runs 1] [--seconds 5] [--no-throughput] [--logs]");
            return 2;
    }
}

var unknown = pairs.Where(n => NatPair.All.All(p => p.Name != n)).ToList();
if (unknown.Count > 0 || seconds < 1 || runs < 1)
{
    Console.Error.WriteLine($"unknown pair(s) {string.Join(", ", unknown)}; known: {string.Join(", ", NatPair.All.Select(p => p.Name))}");
    return 2;
}

if (LabRequirements.FindMissing() is { } missing)
{
    Console.Error.WriteLine($"Weft.NatBench: {missing}");
    return 1;
}

var log = (string line) => Console.Error.WriteLine(line);
var results = new List<PairResult>();
foreach (var pair in NatPair.All.Where(p => pairs.Contains(p.Name)))
{
    for (var run = 1; run <= runs; run++)
    {
        Console.Error.WriteLine($"pair {pair.Name}, run {run} of {runs} ...");
        try
        {
            results.Add(await PairBench.RunAsync(pair, log, logs).ConfigureAwait(false));
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"pair {pair.Name} failed: {e.Message}");
            results.Add(new PairResult(pair, null, null, "", null, "", null, null, "failed: " + FirstLine(e.Message)));
        }
    }
}

Console.WriteLine();
Console.WriteLine("NAT traversal, per pair (a/b): times from both `weft up` returning; replies from a 50 ms ping stream, paths from status polled every 50 ms.");
Console.WriteLine();
Console.WriteLine("| pair | expected | peers in netmaps | first reply | path then (a / b) | direct on both | direct path (a / b) | first reply after the cut | direct again after restore | note |");
Console.WriteLine("|---|---|---:|---:|---|---:|---|---:|---:|---|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Pair.Name} | {(r.Pair.DirectExpected ? "direct" : "relay")} | {Ms(r.PeersSeen)} | {Ms(r.FirstReply)} | {r.FirstPath} | {Ms(r.Direct)} | {r.DirectPath} | {Ms(r.Fallback)} | {Ms(r.Recovery)} | {r.Note} |"));
}

if (throughput)
{
    Console.Error.WriteLine($"throughput, easy-easy, iperf3 {seconds} s per path ...");
    try
    {
        var measured = await ThroughputBench.RunAsync(seconds, log).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Throughput through the tunnel, easy/easy, iperf3 {seconds} s per row; relay = the one embedded in `weft control` (CPU from /proc, user + system)."));
        Console.WriteLine();
        Console.WriteLine("| path (a / b) | test | Mbit/s received | packets/s received | control CPU s | control CPU s per Gbit |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var run in measured)
        {
            var pps = double.IsNaN(run.PacketsPerSecond) ? "–" : run.PacketsPerSecond.ToString("F0", CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {run.Path} | {run.Test} | {run.MegabitsPerSecond:F0} | {pps} | {run.ControlCpuSeconds:F2} | {run.CpuSecondsPerGigabit:F3} |"));
        }
    }
    catch (LabException e)
    {
        Console.Error.WriteLine($"throughput failed: {e.Message}");
        Console.WriteLine();
        Console.WriteLine($"Throughput: failed ({FirstLine(e.Message)})");
    }
}

return 0;

static string Ms(TimeSpan? t) => t is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.TotalMilliseconds:F0} ms") : "–";

static string FirstLine(string text) => text.Split('\n', 2)[0];
