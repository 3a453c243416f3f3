using System.Text.RegularExpressions;

namespace Weft.Lab;

/// <summary>
/// Removes what earlier runs left behind when they crashed: namespaces (and the processes inside),
/// UAPI sockets and owner markers of every lab prefix whose owner is no longer running.
/// </summary>
public static partial class LabSweeper
{
    /// <summary>Sweeps every stale lab; returns the prefixes removed.</summary>
    public static async Task<IReadOnlyList<string>> SweepStaleAsync()
    {
        var stale = new HashSet<string>(StringComparer.Ordinal);
        var listed = await Command.RunAsync(["ip", "netns", "list"]).ConfigureAwait(false);
        foreach (var line in listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // `ip netns list` prints "name (id: N)" for namespaces that have an id.
            var name = line.Split(' ')[0];
            if (NamespacePattern().Match(name) is { Success: true } match && !LabOwner.IsAlive(match.Groups[1].Value))
            {
                stale.Add(match.Groups[1].Value);
            }
        }
        foreach (var prefix in LabOwner.MarkedPrefixes())
        {
            if (PrefixPattern().IsMatch(prefix) && !LabOwner.IsAlive(prefix))
            {
                stale.Add(prefix);
            }
        }
        foreach (var socket in ListSockets())
        {
            if (SocketPattern().Match(Path.GetFileName(socket)) is { Success: true } match && !LabOwner.IsAlive(match.Groups[1].Value))
            {
                stale.Add(match.Groups[1].Value);
            }
        }
        foreach (var prefix in stale)
        {
            await RemoveAsync(prefix, listed.StandardOutput).ConfigureAwait(false);
        }
        return [.. stale];
    }

    /// <summary>Deletes the namespaces, processes inside them, sockets and marker of one prefix.</summary>
    internal static async Task RemoveAsync(string prefix, string? namespaceList = null)
    {
        namespaceList ??= (await Command.RunAsync(["ip", "netns", "list"]).ConfigureAwait(false)).StandardOutput;
        foreach (var line in namespaceList.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.Split(' ')[0];
            if (!name.StartsWith(prefix + "-", StringComparison.Ordinal))
            {
                continue;
            }
            await KillProcessesInAsync(name).ConfigureAwait(false);
            await Command.RunAsync(["ip", "netns", "del", name]).ConfigureAwait(false);
        }
        foreach (var socket in ListSockets())
        {
            if (Path.GetFileName(socket).StartsWith(prefix, StringComparison.Ordinal))
            {
                File.Delete(socket);
            }
        }
        LabOwner.Release(prefix);
    }

    /// <summary>SIGKILLs every process whose network namespace is <paramref name="namespaceName"/>; only used for labs being torn down.</summary>
    internal static async Task KillProcessesInAsync(string namespaceName)
    {
        var pids = await Command.RunAsync(["ip", "netns", "pids", namespaceName]).ConfigureAwait(false);
        foreach (var text in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId)
            {
                _ = Interop.Libc.kill(pid, Interop.Libc.SIGKILL);
            }
        }
    }

    private static string[] ListSockets() =>
        Directory.Exists(LabConstants.UapiDirectory) ? Directory.GetFiles(LabConstants.UapiDirectory, LabConstants.NamePrefix + "*.sock") : [];

    [GeneratedRegex("^(wl[0-9a-f]{6})-")]
    private static partial Regex NamespacePattern();

    [GeneratedRegex("^wl[0-9a-f]{6}$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex("^(wl[0-9a-f]{6})")]
    private static partial Regex SocketPattern();
}
