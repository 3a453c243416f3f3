using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Weft.Node.Os;

/// <summary>Pings a tailnet address through the OS (and so through the TUN) with iputils `ping`, returning the answered round trips.</summary>
public static partial class Pinger
{
    /// <summary>Our choice: a tailnet echo that takes longer than this is as good as lost.</summary>
    private const int ReplyWaitSeconds = 2;

    /// <summary>Round-trip times in milliseconds of the echoes that were answered.</summary>
    public static async Task<IReadOnlyList<double>> PingAsync(IPAddress target, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        var start = new ProcessStartInfo("ping")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "-6" : "-4",
            "-n", "-c", count.ToString(CultureInfo.InvariantCulture),
            "-i", "0.2",
            "-W", ReplyWaitSeconds.ToString(CultureInfo.InvariantCulture),
            target.ToString()])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ping");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        _ = process.StandardError.ReadToEndAsync(ct);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromSeconds((count * 0.2) + ReplyWaitSeconds + 5));
        try
        {
            await process.WaitForExitAsync(guard.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        return Parse(await output.ConfigureAwait(false));
    }

    /// <summary>The "time=1.23 ms" values of ping's reply lines.</summary>
    internal static IReadOnlyList<double> Parse(string output)
    {
        var latencies = new List<double>();
        foreach (Match match in ReplyTime().Matches(output))
        {
            latencies.Add(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        return latencies;
    }

    [GeneratedRegex(@"time[=<]([0-9]+(?:\.[0-9]+)?) ms")]
    private static partial Regex ReplyTime();
}
