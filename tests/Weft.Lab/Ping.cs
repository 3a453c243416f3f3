using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Lab;

/// <summary>The summary of one `ping` run.</summary>
public sealed record PingResult(int Transmitted, int Received, double AverageMilliseconds, string Output)
{
    /// <summary>Echo requests that got no reply.</summary>
    public int Lost => Transmitted - Received;
}

/// <summary>Runs iputils `ping` inside a namespace and parses its summary.</summary>
public static partial class Ping
{
    /// <summary>
    /// Sends <paramref name="count"/> echo requests to <paramref name="target"/> every <paramref name="interval"/>
    /// seconds, waiting up to <paramref name="replyWaitSeconds"/> for the last reply; never throws for losses.
    /// </summary>
    public static async Task<PingResult> RunAsync(LabNamespace ns, string target, int count, double interval = 0.2, int replyWaitSeconds = 2)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var hangGuard = TimeSpan.FromSeconds((count * interval) + replyWaitSeconds + 30);
        var result = await ns.TryExecAsync(
            [
                "ping", "-n", "-q",
                "-c", count.ToString(CultureInfo.InvariantCulture),
                "-i", interval.ToString(CultureInfo.InvariantCulture),
                "-W", replyWaitSeconds.ToString(CultureInfo.InvariantCulture),
                target,
            ],
            timeout: hangGuard).ConfigureAwait(false);
        return Parse(result.StandardOutput + result.StandardError);
    }

    /// <summary>Parses "N packets transmitted, M received" and the rtt line (absent when nothing came back).</summary>
    public static PingResult Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var counts = CountsPattern().Match(output);
        if (!counts.Success)
        {
            throw new LabException($"ping printed no summary: {output}");
        }
        var rtt = RttPattern().Match(output);
        return new PingResult(
            int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture),
            rtt.Success ? double.Parse(rtt.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN,
            output);
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) (?:packets )?received")]
    private static partial Regex CountsPattern();

    [GeneratedRegex(@"= [\d.]+/([\d.]+)/")]
    private static partial Regex RttPattern();
}
