using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Client;

namespace Weft.RelayBench;

/// <summary>
/// Pushes packets from one relay client to another through a running relay for a fixed time and prints one
/// markdown table row: packets/s and Gbit/s received, and the relay's CPU (from /proc) per Gbit/s.
/// Usage: Weft.RelayBench --relay URL --key HEX --pid PID [--seconds 10] [--size 1400]
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine("usage: Weft.RelayBench --relay URL --key HEX --pid PID [--seconds 10] [--size 1400]");
            return 2;
        }

        var (url, relayKey, pid, seconds, size) = options.Value;
        long packets = 0;
        long bytes = 0;
        var clientOptions = new RelayClientOptions { Url = url, RelayPublic = relayKey, SendQueuePackets = 4096 };
        var receiverKey = PrivateKey.Generate();
        await using var receiver = new RelayClient(clientOptions, receiverKey, NullLogger.Instance);
        await using var sender = new RelayClient(clientOptions, PrivateKey.Generate(), NullLogger.Instance);
        receiver.Start((_, packet) =>
        {
            Interlocked.Increment(ref packets);
            Interlocked.Add(ref bytes, packet.Length);
        });
        sender.Start((_, _) => { });
        await receiver.WaitConnectedAsync();
        await sender.WaitConnectedAsync();

        var target = new NodePublic(receiverKey.PublicKey());
        using var stop = new CancellationTokenSource();
        var payload = new byte[size];
        var pump = Task.Run(() =>
        {
            var spin = default(SpinWait);
            while (!stop.IsCancellationRequested)
            {
                if (sender.TrySend(target, payload))
                {
                    spin = default;
                }
                else
                {
                    // The send queue is full: the relay (or the receiver) is the bottleneck, which is what we measure.
                    spin.SpinOnce();
                }
            }
        });

        // One second of warm-up (JIT, TCP windows), then the measured window.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cpu0 = RelayCpuSeconds(pid);
        var packets0 = Interlocked.Read(ref packets);
        var bytes0 = Interlocked.Read(ref bytes);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu1 = RelayCpuSeconds(pid);
        var packets1 = Interlocked.Read(ref packets);
        var bytes1 = Interlocked.Read(ref bytes);
        await stop.CancelAsync();
        await pump;

        var pps = (packets1 - packets0) / elapsed;
        var gbps = (bytes1 - bytes0) * 8 / elapsed / 1e9;
        var cores = (cpu1 - cpu0) / elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {size} | {elapsed:F1} | {pps:N0} | {gbps:F2} | {cores:F2} | {(gbps > 0 ? cores / gbps : double.NaN):F2} | {sender.Dropped:N0} |"));
        return 0;
    }

    /// <summary>utime + stime of the relay process in seconds (fields 14 and 15 of /proc/PID/stat).</summary>
    private static double RelayCpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0; // USER_HZ is 100 on Linux
    }

    private static (Uri Url, Key32 Key, int Pid, int Seconds, int Size)? Parse(string[] args)
    {
        Uri? url = null;
        Key32 key = default;
        int pid = 0, seconds = 10, size = 1400;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--relay": url = new Uri(value); break;
                case "--key": if (!Key32.TryParseHex(value, out key)) { return null; } break;
                case "--pid": pid = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(value, CultureInfo.InvariantCulture); break;
                default: return null;
            }
        }

        return url is null || key.IsZero || pid == 0 ? null : (url, key, pid, seconds, size);
    }
}
