using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Weft.Node;
using Weft.Node.LocalApi;

namespace Weft;

/// <summary>
/// What every user command (up, status, ping, ...) shares: where the daemon's socket is, one client per
/// invocation, and errors printed as one line that says what to do next.
/// </summary>
internal static class NodeCli
{
    /// <summary>--socket PATH on the root and every command below it.</summary>
    public static readonly Option<string> Socket = new("--socket")
    {
        Description = $"The weft daemon's local API socket (default $WEFT_SOCKET or {NodeConstants.DefaultSocketPath})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WEFT_SOCKET") is { Length: > 0 } s ? s : NodeConstants.DefaultSocketPath,
        Recursive = true,
    };

    /// <summary>Runs <paramref name="work"/> against the daemon; its result is the exit code, local API errors print and exit 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<LocalApiClient, CancellationToken, Task<int>> work)
    {
        using var client = new LocalApiClient(parse.GetValue(Socket)!);
        try
        {
            return await work(client, ct).ConfigureAwait(false);
        }
        catch (LocalApiException ex)
        {
            return Fail(ex.Message);
        }
        catch (CliException ex)
        {
            return Fail(ex.Message);
        }
    }

    /// <summary>Prints "weft: message" to stderr and returns exit code 1.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"weft: {message}");
        return 1;
    }

    /// <summary>"tag:a,tag:b" or repeated values into a clean list.</summary>
    public static IReadOnlyList<string> SplitList(IEnumerable<string>? values) =>
        values is null ? [] : [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    /// <summary>A table with these column headers, without borders, as `tailscale status` reads.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in columns)
        {
            table.AddColumn(c);
        }

        return table;
    }

    /// <summary>
    /// Writes a table; to a pipe or file it is written at full width, so `weft status | grep` sees one line per
    /// node instead of cells wrapped at the 80 columns Spectre assumes without a terminal.
    /// </summary>
    public static void Write(Table table)
    {
        if (!Console.IsOutputRedirected)
        {
            AnsiConsole.Write(table);
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 4096;
        console.Write(table);
    }

    /// <summary>Adds a row of plain text (cells are escaped, never read as Spectre markup).</summary>
    public static void Row(Table table, params string?[] cells) => table.AddRow([.. cells.Select(c => Markup.Escape(c ?? ""))]);

    /// <summary>"12s ago", "3m ago", "2h ago", "4d ago" or "never".</summary>
    public static string Ago(DateTimeOffset? then, DateTimeOffset now)
    {
        if (then is not { } t || t == default)
        {
            return "never";
        }

        var d = now - t;
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }

        return d.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalSeconds}s ago")
            : d.TotalMinutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalMinutes}m ago")
            : d.TotalHours < 48 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalHours}h ago")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalDays}d ago");
    }

    /// <summary>Bytes as "812 B", "1.4 KiB", "3.0 MiB", "1.2 GiB".</summary>
    public static string Bytes(long n) => n switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{n} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{n / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{n / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{n / (1024.0 * 1024 * 1024):0.0} GiB"),
    };

    /// <summary>Finds a peer (or self) by short name, fqdn (with or without the trailing dot) or one of its addresses.</summary>
    public static PeerStatus? FindNode(StatusResponse status, string target)
    {
        var wanted = target.TrimEnd('.');
        foreach (var node in status.Self is { } self ? status.Peers.Prepend(self) : status.Peers)
        {
            if (string.Equals(node.Name, wanted, StringComparison.OrdinalIgnoreCase)
                || string.Equals(node.Fqdn.TrimEnd('.'), wanted, StringComparison.OrdinalIgnoreCase)
                || node.Addresses.Contains(wanted, StringComparer.OrdinalIgnoreCase))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Throws the "what to do next" error for a daemon that is not up, or returns when it is Running.</summary>
    public static void EnsureRunning(StatusResponse status)
    {
        switch (status.BackendState)
        {
            case BackendState.Running:
                return;
            case BackendState.Stopped:
                throw new CliException("weft is stopped: run `weft up`");
            case BackendState.NeedsMachineAuth:
                throw new CliException("this machine waits for an admin's approval: `weft control nodes authorize ID` on the server");
            case BackendState.Starting:
                throw new CliException("weft is starting (no netmap yet): try again in a moment, or see `weft status`");
            default:
                throw new CliException("not logged in: run `weft up`");
        }
    }
}

/// <summary>A user command failed in a way the user can fix; the message says how.</summary>
internal sealed class CliException(string message) : Exception(message);
