using System.Globalization;
using System.Text.Json;

namespace Weft.Lab;

/// <summary>What one iperf3 client run reported (from its JSON output).</summary>
public sealed record Iperf3Result(long SentBytes, long ReceivedBytes, double ReceivedBitsPerSecond, long Packets, long LostPackets);

/// <summary>Runs iperf3 servers and clients inside namespaces.</summary>
public static class Iperf3
{
    /// <summary>The port the lab's iperf3 servers listen on.</summary>
    public const int Port = 5201;

    /// <summary>Starts `iperf3 -s` in <paramref name="ns"/> and waits until it listens.</summary>
    public static async Task<LabProcess> StartServerAsync(LabNamespace ns, int port = Port)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var server = ns.Start(["iperf3", "-s", "--forceflush", "-p", port.ToString(CultureInfo.InvariantCulture)]);
        await server.WaitForOutputAsync("Server listening", LabConstants.StartupTimeout).ConfigureAwait(false);
        return server;
    }

    /// <summary>
    /// Runs `iperf3 -c TARGET -J` with extra <paramref name="arguments"/> (e.g. "-n", "20M", "-R") and returns the
    /// byte counts both ends reported; throws with iperf3's own error text when it fails.
    /// </summary>
    public static async Task<Iperf3Result> RunClientAsync(LabNamespace ns, string target, IReadOnlyList<string> arguments, int port = Port, TimeSpan? hangGuard = null)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(arguments);
        List<string> command = ["iperf3", "-J", "-c", target, "-p", port.ToString(CultureInfo.InvariantCulture)];
        command.AddRange(arguments);
        var result = await ns.TryExecAsync(command, timeout: hangGuard ?? TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        return Parse(result.StandardOutput, result.CommandLine);
    }

    /// <summary>Parses iperf3's JSON report (TCP: sum_sent / sum_received; UDP: sum).</summary>
    public static Iperf3Result Parse(string json, string commandLine = "iperf3")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new LabException($"`{commandLine}` printed no JSON report: {json}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw new LabException($"`{commandLine}` failed: {error.GetString()}");
            }
            var end = root.GetProperty("end");
            if (end.TryGetProperty("sum_received", out var received) && end.TryGetProperty("sum_sent", out var sent))
            {
                return new Iperf3Result(
                    (long)sent.GetProperty("bytes").GetDouble(),
                    (long)received.GetProperty("bytes").GetDouble(),
                    received.GetProperty("bits_per_second").GetDouble(),
                    0,
                    0);
            }
            var sum = end.GetProperty("sum");
            var packets = sum.TryGetProperty("packets", out var p) ? p.GetInt64() : 0;
            var lost = sum.TryGetProperty("lost_packets", out var l) ? l.GetInt64() : 0;
            var bytes = (long)sum.GetProperty("bytes").GetDouble();
            return new Iperf3Result(bytes, bytes, sum.GetProperty("bits_per_second").GetDouble(), packets, lost);
        }
    }
}
