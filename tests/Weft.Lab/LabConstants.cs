namespace Weft.Lab;

/// <summary>Names, paths and hang guards of the lab in one place.</summary>
public static class LabConstants
{
    /// <summary>Every lab name starts with this, followed by six hex digits unique to the run.</summary>
    public const string NamePrefix = "wl";

    /// <summary>Where each run records its owner (pid and start time) so a later run can tell stale labs from live ones.</summary>
    public const string OwnerDirectory = "/run/weft-lab";

    /// <summary>Where wireguard-go and weft put their UAPI sockets; shared by every network namespace.</summary>
    public const string UapiDirectory = "/var/run/wireguard";

    /// <summary>Where `ip netns` keeps its namespace handles.</summary>
    public const string NetnsDirectory = "/var/run/netns";

    /// <summary>Linux limit on interface names (IFNAMSIZ minus the terminator).</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>Environment variable that turns a missing lab requirement from a skip into a failure.</summary>
    public const string RequireLabVariable = "WEFT_REQUIRE_LAB";

    /// <summary>Environment variable that points at a `weft` executable to use instead of the one next to the tests.</summary>
    public const string WeftExecutableVariable = "WEFT_EXE";

    /// <summary>Hang guard for a short command (ip, wg, nft). Our choice: generous, it only bounds a broken run.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Hang guard for a WireGuard implementation to create its UAPI socket.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a process gets after SIGTERM before it is killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>How often the file system is polled for a UAPI socket to appear or vanish.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>How much of a long-running process's output is kept for failure messages.</summary>
    public const int OutputTailChars = 64 * 1024;
}
