using System.Globalization;

namespace Weft.LoadGen;

/// <summary>Command-line options of the load generator; every field says its default.</summary>
internal sealed class LoadGenOptions
{
    /// <summary>Tailnet sizes to measure, one run each. Defaults to 1000.</summary>
    public IReadOnlyList<int> Sizes { get; private set; } = [1000];

    /// <summary>An already running server (its nodes accumulate across sizes). Null when <see cref="Spawn"/> is set.</summary>
    public Uri? Server { get; private set; }

    /// <summary>Owner API key for <see cref="Server"/>: read from this file (DATADIR/owner-api-key).</summary>
    public string? ApiKeyFile { get; private set; }

    /// <summary>Pid of <see cref="Server"/> to sample RSS and CPU from, or null to skip them.</summary>
    public int? ServerPid { get; private set; }

    /// <summary>Path of the weft executable: a fresh `weft control` per size, on loopback, in a temporary data dir.</summary>
    public string? Spawn { get; private set; }

    /// <summary>Where spawned servers keep their data dirs. Defaults to a new directory under the system temp dir.</summary>
    public string? WorkDir { get; private set; }

    /// <summary>Nodes connecting and registering at once. Defaults to 64.</summary>
    public int Concurrency { get; private set; } = 64;

    /// <summary>Endpoint changes measured per size (from different nodes, samples pooled). Defaults to 3.</summary>
    public int Changes { get; private set; } = 3;

    /// <summary>How long one phase may take before it is reported as timed out. Defaults to 600 s.</summary>
    public TimeSpan PhaseTimeout { get; private set; } = TimeSpan.FromSeconds(600);

    /// <summary>How long the map streams must stay silent before a change is measured. Defaults to 2 s.</summary>
    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(2);

    public const string Usage = """
        usage: Weft.LoadGen (--spawn PATH-TO-weft | --server URL --api-key-file FILE [--server-pid PID])
                            [--nodes 1000,5000,10000] [--concurrency 64] [--changes 3]
                            [--timeout-seconds 600] [--settle-seconds 2] [--work-dir DIR]
        """;

    /// <summary>Parses <paramref name="args"/>; the error names the flag and the value.</summary>
    public static LoadGenOptions Parse(string[] args, out string? error)
    {
        var o = new LoadGenOptions();
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            if (i + 1 >= args.Length)
            {
                error = $"{flag} needs a value";
                return o;
            }

            var value = args[++i];
            switch (flag)
            {
                case "--nodes":
                    var sizes = new List<int>();
                    foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!TryPositive(part, out var n))
                        {
                            error = $"--nodes: '{part}' is not a positive number";
                            return o;
                        }

                        sizes.Add(n);
                    }

                    o.Sizes = sizes;
                    break;
                case "--server":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
                    {
                        error = $"--server: '{value}' is not an absolute URL";
                        return o;
                    }

                    o.Server = uri;
                    break;
                case "--api-key-file":
                    o.ApiKeyFile = value;
                    break;
                case "--server-pid":
                    if (!TryPositive(value, out var pid))
                    {
                        error = $"--server-pid: '{value}' is not a process id";
                        return o;
                    }

                    o.ServerPid = pid;
                    break;
                case "--spawn":
                    o.Spawn = value;
                    break;
                case "--work-dir":
                    o.WorkDir = value;
                    break;
                case "--concurrency":
                    if (!TryPositive(value, out var c))
                    {
                        error = $"--concurrency: '{value}' is not a positive number";
                        return o;
                    }

                    o.Concurrency = c;
                    break;
                case "--changes":
                    if (!TryPositive(value, out var ch))
                    {
                        error = $"--changes: '{value}' is not a positive number";
                        return o;
                    }

                    o.Changes = ch;
                    break;
                case "--timeout-seconds":
                    if (!TryPositive(value, out var t))
                    {
                        error = $"--timeout-seconds: '{value}' is not a positive number";
                        return o;
                    }

                    o.PhaseTimeout = TimeSpan.FromSeconds(t);
                    break;
                case "--settle-seconds":
                    if (!TryPositive(value, out var s))
                    {
                        error = $"--settle-seconds: '{value}' is not a positive number";
                        return o;
                    }

                    o.Settle = TimeSpan.FromSeconds(s);
                    break;
                default:
                    error = $"unknown flag '{flag}'";
                    return o;
            }
        }

        if ((o.Server is null) == (o.Spawn is null))
        {
            error = "give exactly one of --server URL and --spawn PATH-TO-weft";
        }
        else if (o.Server is not null && o.ApiKeyFile is null)
        {
            error = "--server needs --api-key-file (the server's DATADIR/owner-api-key)";
        }

        return o;
    }

    private static bool TryPositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
}
