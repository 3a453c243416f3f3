using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Weft.Node.LocalApi;

namespace Weft;

/// <summary>
/// `weft up` and `weft login`: hand the daemon the login settings, then follow its state until it runs
/// (printing the login URL when the login is interactive) or the timeout passes.
/// </summary>
internal static class UpCommand
{
    /// <summary>How often the CLI asks the daemon how far it got.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static Command CreateUp() => Create("up", "Connect this device to the tailnet, logging in if needed", forceReauthAlways: false);

    public static Command CreateLogin() => Create("login", "Log in to the tailnet (again, or as another user), then connect", forceReauthAlways: true);

    private static Command Create(string name, string description, bool forceReauthAlways)
    {
        var loginServer = new Option<string?>("--login-server") { Description = "URL of the coordination server (weft control)" };
        var authKey = new Option<string?>("--auth-key") { Description = "Auth key to register with, or file:PATH to read it from a file" };
        var hostname = new Option<string?>("--hostname") { Description = "Hostname to register instead of the machine's" };
        var tags = new Option<string[]>("--advertise-tags") { Description = "ACL tags to request, comma-separated (tag:server,tag:ci)", AllowMultipleArgumentsPerToken = true };
        var acceptDns = new Option<bool?>("--accept-dns") { Description = "Point this machine's resolver at MagicDNS (true/false)" };
        var reset = new Option<bool>("--reset") { Description = "Reset settings not given on this command line to their defaults" };
        var forceReauth = new Option<bool>("--force-reauth") { Description = "Register again even though the node key is still valid" };
        var timeout = new Option<string?>("--timeout") { Description = "Give up after this long (30s, 2m; default: wait forever)" };
        var command = new Command(name, description) { loginServer, authKey, hostname, tags, acceptDns, reset, forceReauth, timeout };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var limit = ParseDuration(parse.GetValue(timeout));
            var request = new UpRequest
            {
                LoginServer = parse.GetValue(loginServer),
                AuthKey = ReadAuthKey(parse.GetValue(authKey)),
                Hostname = parse.GetValue(hostname),
                AdvertiseTags = NodeCli.SplitList(parse.GetValue(tags)),
                AcceptDns = parse.GetValue(acceptDns),
                Reset = parse.GetValue(reset),
                ForceReauth = forceReauthAlways || parse.GetValue(forceReauth),
            };
            var answer = await api.UpAsync(request, c).ConfigureAwait(false);
            return await FollowAsync(api, answer, limit, c).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>Polls status until Running; prints the login URL and approval hints once each.</summary>
    private static async Task<int> FollowAsync(LocalApiClient api, UpResponse answer, TimeSpan? limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string? shownUrl = null;
        var shownApproval = false;
        var shownStarting = false;
        var state = answer.BackendState;
        var url = answer.AuthUrl;
        while (true)
        {
            if (url is not null && url != shownUrl)
            {
                shownUrl = url;
                Console.WriteLine();
                Console.WriteLine("To authenticate, visit:");
                Console.WriteLine();
                Console.WriteLine($"\t{url}");
                Console.WriteLine();
            }

            if (state == BackendState.NeedsMachineAuth && !shownApproval)
            {
                shownApproval = true;
                Console.WriteLine("Waiting for an admin to approve this machine (`weft control nodes authorize ID` on the server)...");
            }

            if (state == BackendState.Running)
            {
                var status = await api.GetStatusAsync(ct).ConfigureAwait(false);
                var ip = status.Self?.Addresses.FirstOrDefault();
                Console.WriteLine(ip is null ? "Success." : $"Success: {status.Self!.Name} is {ip} on the tailnet.");
                return 0;
            }

            if (limit is { } l && clock.Elapsed >= l)
            {
                var hint = state switch
                {
                    BackendState.NeedsLogin when shownUrl is not null => "; finish the login at the URL above and run `weft up` again",
                    BackendState.NeedsLogin => "; pass --auth-key or check --login-server",
                    BackendState.NeedsMachineAuth => "; an admin must approve this machine",
                    _ => "; see `weft status` and the daemon's log",
                };
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"timed out after {l.TotalSeconds:0.#}s waiting for the tailnet (state {state}){hint}"));
            }

            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            var now = await api.GetStatusAsync(ct).ConfigureAwait(false);
            state = now.BackendState;
            url = now.AuthUrl ?? url;
            if (!Console.IsOutputRedirected && state is BackendState.Starting && clock.Elapsed > TimeSpan.FromSeconds(2) && !shownStarting)
            {
                // Once, so a slow first netmap does not look like a hang.
                shownStarting = true;
                AnsiConsole.MarkupLine("[grey]Waiting for the first netmap from the coordination server...[/]");
            }
        }
    }

    /// <summary>The key itself, or the trimmed contents of the file named after "file:".</summary>
    internal static string? ReadAuthKey(string? value)
    {
        if (value is null || !value.StartsWith("file:", StringComparison.Ordinal))
        {
            return value;
        }

        var path = value["file:".Length..];
        try
        {
            var key = File.ReadAllText(path).Trim();
            return key.Length > 0 ? key : throw new CliException($"--auth-key file {path} is empty");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--auth-key: cannot read {path}: {ex.Message}");
        }
    }

    /// <summary>"30s", "2m", "1h", "500ms" or plain seconds; null or "0" means no limit.</summary>
    internal static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var t = text.Trim();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : t.EndsWith('h') ? (t[..^1], 3600.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            throw new CliException($"--timeout '{text}' is not a duration (examples: 30s, 2m, 1h)");
        }

        return value == 0 ? null : TimeSpan.FromSeconds(value * scale);
    }
}
