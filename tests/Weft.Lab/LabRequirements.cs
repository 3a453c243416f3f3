using Xunit;

namespace Weft.Lab;

/// <summary>
/// Checks that this machine can run lab tests (root, network namespaces, a TUN device, the tools);
/// skips the test when it cannot, or fails it when WEFT_REQUIRE_LAB=1 says the lab must run (CI).
/// </summary>
public static class LabRequirements
{
    private static readonly string[] Tools = ["ip", "wireguard-go", "wg", "iperf3", "nft", "ping"];

    /// <summary>Returns what is missing, or null when everything the lab needs is here.</summary>
    public static string? FindMissing()
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            return "the lab needs Linux network namespaces";
        }
        if (Environment.UserName != "root" && !IsRoot())
        {
            missing.Add("root (the lab creates network namespaces and TUN devices)");
        }
        if (!File.Exists("/dev/net/tun"))
        {
            missing.Add("/dev/net/tun");
        }
        foreach (var tool in Tools)
        {
            if (FindOnPath(tool) is null)
            {
                missing.Add($"`{tool}` on PATH");
            }
        }
        return missing.Count == 0 ? null : "lab requirements missing: " + string.Join(", ", missing);
    }

    /// <summary>Skips the calling test when the lab cannot run here; fails it instead when WEFT_REQUIRE_LAB=1.</summary>
    public static void EnsureOrSkip()
    {
        var missing = FindMissing();
        if (missing is null)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable(LabConstants.RequireLabVariable) == "1")
        {
            Assert.Fail($"{missing} ({LabConstants.RequireLabVariable}=1 makes this a failure)");
        }
        Assert.Skip(missing);
    }

    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        // Debian keeps ip, nft and sysctl in /usr/sbin, which a non-login PATH may lack.
        foreach (var directory in (string[])["/usr/sbin", "/sbin"])
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool IsRoot()
    {
        // The Uid line of /proc/self/status: real, effective, saved, filesystem.
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var fields = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 2 && fields[2] == "0";
            }
        }
        return false;
    }
}
