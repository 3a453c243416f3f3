using System.Globalization;

namespace Weft.Lab;

/// <summary>
/// The marker file that ties a lab prefix to the process that owns it: pid plus the kernel's start
/// time of that pid, so a recycled pid is not mistaken for the owner.
/// </summary>
public static class LabOwner
{
    /// <summary>Writes the marker for <paramref name="prefix"/> naming the current process as owner.</summary>
    public static void Claim(string prefix)
    {
        Directory.CreateDirectory(LabConstants.OwnerDirectory);
        var pid = Environment.ProcessId;
        var text = string.Create(CultureInfo.InvariantCulture, $"{pid} {ReadStartTime(pid)}\n");
        File.WriteAllText(MarkerPath(prefix), text);
    }

    /// <summary>Removes the marker of <paramref name="prefix"/>, if any.</summary>
    public static void Release(string prefix) => File.Delete(MarkerPath(prefix));

    /// <summary>True when the marker of <paramref name="prefix"/> names a process that is still running.</summary>
    public static bool IsAlive(string prefix)
    {
        string text;
        try
        {
            text = File.ReadAllText(MarkerPath(prefix));
        }
        catch (IOException)
        {
            return false;
        }
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }
        return ReadStartTime(pid) is { } startTime && startTime == parts[1];
    }

    /// <summary>Prefixes that have a marker file, live or not.</summary>
    public static IReadOnlyList<string> MarkedPrefixes()
    {
        if (!Directory.Exists(LabConstants.OwnerDirectory))
        {
            return [];
        }
        var prefixes = new List<string>();
        foreach (var path in Directory.EnumerateFiles(LabConstants.OwnerDirectory))
        {
            prefixes.Add(Path.GetFileName(path));
        }
        return prefixes;
    }

    private static string MarkerPath(string prefix) => Path.Combine(LabConstants.OwnerDirectory, prefix);

    // Field 22 of /proc/PID/stat (starttime, in clock ticks since boot); the comm field may hold
    // spaces and parentheses, so count fields after its closing parenthesis.
    private static string? ReadStartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        var afterComm = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // afterComm[0] is field 3 (state); field 22 is afterComm[19].
        return afterComm.Length > 19 ? afterComm[19] : null;
    }
}
