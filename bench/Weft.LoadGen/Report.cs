using System.Globalization;
using System.Text;

namespace Weft.LoadGen;

/// <summary>The markdown table the generator prints, one row per tailnet size, with notes below.</summary>
internal static class Report
{
    public static string Markdown(IReadOnlyList<SizeResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| nodes | register + first map | last full map | endpoint change p50 / p99 | bytes per endpoint change | policy edit p50 / p99 | bytes per policy edit | server RSS after join / peak | server CPU join / endpoint / policy |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            sb.Append(Inv($"| {r.Nodes:N0} "));
            sb.Append(r.JoinTime is { } j ? Inv($"| {j.TotalSeconds:F1} s ({r.Joined:N0} joined) ") : Inv($"| failed ({r.Joined:N0} joined) "));
            sb.Append(Inv($"| {Size(r.LastFirstMapBytes)} "));
            sb.Append(Cell(r.Endpoint)).Append(Bytes(r.Endpoint));
            sb.Append(Cell(r.Policy)).Append(Bytes(r.Policy));
            sb.Append(r.AfterJoin is { } a && r.AtEnd is { } e ? Inv($"| {a.RssKiB / 1024.0:F0} / {e.PeakRssKiB / 1024.0:F0} MiB ") : "| n/a ");
            sb.Append(Inv($"| {Cpu(r.JoinCpu)} / {Cpu(r.EndpointCpu)} / {Cpu(r.PolicyCpu)} |"));
            sb.AppendLine();
        }

        foreach (var r in results)
        {
            sb.AppendLine();
            sb.AppendLine(Inv($"N = {r.Nodes:N0}: generator peak RSS {r.GeneratorPeakRssKiB / 1024.0:F0} MiB."));
            foreach (var note in r.Notes)
            {
                sb.AppendLine(Inv($"- {note}"));
            }
        }

        return sb.ToString();
    }

    private static string Cell(Latency? l) => l switch
    {
        null => "| n/a ",
        { Received: 0 } => Inv($"| none of {l.Expected:N0} arrived "),
        _ when l.Received < l.Expected => Inv($"| {l.P50Ms:F0} / {l.P99Ms:F0} ms, only {l.Received:N0} of {l.Expected:N0} "),
        _ => Inv($"| {l.P50Ms:F0} / {l.P99Ms:F0} ms "),
    };

    private static string Bytes(Latency? l) => l is null ? "| n/a " : Inv($"| {Size(l.BytesPerChange)} ");

    private static string Cpu(double? seconds) => seconds is { } s ? Inv($"{s:F1} s") : "n/a";

    private static string Size(long bytes) => bytes switch
    {
        < 10 * 1024 => Inv($"{bytes:N0} B"),
        < 10 * 1024 * 1024 => Inv($"{bytes / 1024.0:F0} KiB"),
        _ => Inv($"{bytes / (1024.0 * 1024):F0} MiB"),
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
