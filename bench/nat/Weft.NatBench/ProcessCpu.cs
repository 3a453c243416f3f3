using System.Globalization;

namespace Weft.NatBench;

/// <summary>CPU time a process has used so far, from /proc/PID/stat (user + system, in clock ticks of 1/100 s).</summary>
internal static class ProcessCpu
{
    /// <summary>USER_HZ on Linux: the unit of utime and stime in /proc/PID/stat.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>User plus system CPU seconds of process <paramref name="pid"/>.</summary>
    public static double Seconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / TicksPerSecond;
    }
}
