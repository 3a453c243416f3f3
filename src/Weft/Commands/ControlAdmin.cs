using System.CommandLine;
using Spectre.Console;
using Weft.Control.Api;

namespace Weft;

/// <summary>What every `weft control users|nodes|keys|policy` command shares: where the server is, the API key, errors, tables.</summary>
internal static class ControlAdmin
{
    /// <summary>--server URL, on the group and every command below it.</summary>
    public static readonly Option<string> Server = new("--server")
    {
        Description = "URL of the coordination server (default $WEFT_CONTROL_SERVER or http://127.0.0.1:8080)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WEFT_CONTROL_SERVER") is { Length: > 0 } s ? s : "http://127.0.0.1:8080",
        Recursive = true,
    };

    /// <summary>--api-key-file FILE, on the group and every command below it.</summary>
    public static readonly Option<string> ApiKeyFile = new("--api-key-file")
    {
        Description = "File holding a bearer API key (default $WEFT_CONTROL_API_KEY_FILE or weft-control/owner-api-key)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WEFT_CONTROL_API_KEY_FILE") is { Length: > 0 } f ? f : Path.Combine("weft-control", "owner-api-key"),
        Recursive = true,
    };

    /// <summary>A command group (users, nodes, ...) carrying the shared options.</summary>
    public static Command Group(string name, string description, params Command[] commands)
    {
        var group = new Command(name, description) { Server, ApiKeyFile };
        foreach (var c in commands)
        {
            group.Subcommands.Add(c);
        }

        return group;
    }

    /// <summary>Runs <paramref name="work"/> with a client; API, network and file errors print one line to stderr and exit 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<ApiClient, CancellationToken, Task> work)
    {
        try
        {
            if (!Uri.TryCreate(parse.GetValue(Server), UriKind.Absolute, out var server))
            {
                throw new InvalidDataException($"--server '{parse.GetValue(Server)}' is not a URL");
            }

            using var http = new HttpClient { BaseAddress = server };
            await work(ApiClient.FromKeyFile(http, parse.GetValue(ApiKeyFile)!), ct).ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ex is ApiException or InvalidDataException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync($"weft control: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>A table with these column headers.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            table.AddColumn(c);
        }

        return table;
    }

    /// <summary>Adds a row of plain text (cells are escaped, never read as Spectre markup).</summary>
    public static void Row(Table table, params string?[] cells)
    {
        var escaped = new string[cells.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            escaped[i] = Markup.Escape(cells[i] ?? "");
        }

        table.AddRow(escaped);
    }

    /// <summary>A time as UTC minutes, or "never".</summary>
    public static string When(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) : "never";
}
