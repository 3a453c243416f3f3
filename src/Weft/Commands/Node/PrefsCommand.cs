using System.CommandLine;
using System.Text.Json;
using Weft.Node.LocalApi;

namespace Weft;

/// <summary>`weft set` changes preferences without logging in again; `weft get` shows them.</summary>
internal static class PrefsCommand
{
    private static readonly JsonSerializerOptions Indented = new(LocalApiJsonContext.Default.Options) { WriteIndented = true };

    public static Command CreateSet()
    {
        var loginServer = new Option<string?>("--login-server") { Description = "URL of the coordination server" };
        var hostname = new Option<string?>("--hostname") { Description = "Hostname to register" };
        var tags = new Option<string[]>("--advertise-tags") { Description = "ACL tags to request, comma-separated; an empty string clears them", AllowMultipleArgumentsPerToken = true };
        var acceptDns = new Option<bool?>("--accept-dns") { Description = "Point this machine's resolver at MagicDNS (true/false)" };
        var op = new Option<string?>("--operator") { Description = "Local user allowed to use the daemon besides root" };
        var command = new Command("set", "Change preferences (only the ones given)") { loginServer, hostname, tags, acceptDns, op };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var patch = new PrefsPatch
            {
                LoginServer = parse.GetValue(loginServer),
                Hostname = parse.GetValue(hostname),
                AdvertiseTags = parse.GetResult(tags) is null ? null : NodeCli.SplitList(parse.GetValue(tags)),
                AcceptDns = parse.GetValue(acceptDns),
                OperatorUser = parse.GetValue(op),
            };
            if (patch == new PrefsPatch())
            {
                throw new CliException("nothing to set: give at least one of --login-server, --hostname, --advertise-tags, --accept-dns, --operator");
            }

            Print(await api.PatchPrefsAsync(patch, c).ConfigureAwait(false), null, json: false);
            return 0;
        }));
        return command;
    }

    public static Command CreateGet()
    {
        var key = new Argument<string?>("key") { Description = "One preference (loginServer, hostname, advertiseTags, acceptDns, wantRunning, operatorUser)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print as JSON" };
        var command = new Command("get", "Show the daemon's preferences") { key, json };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            Print(await api.GetPrefsAsync(c).ConfigureAwait(false), parse.GetValue(key), parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    private static void Print(Prefs prefs, string? key, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(prefs, Indented.GetTypeInfo(typeof(Prefs))));
            return;
        }

        (string Name, string Value)[] rows =
        [
            ("loginServer", prefs.LoginServer ?? ""),
            ("hostname", prefs.Hostname ?? ""),
            ("advertiseTags", string.Join(',', prefs.AdvertiseTags)),
            ("acceptDns", prefs.AcceptDns ? "true" : "false"),
            ("wantRunning", prefs.WantRunning ? "true" : "false"),
            ("operatorUser", prefs.OperatorUser ?? ""),
        ];
        if (key is not null)
        {
            var row = rows.FirstOrDefault(r => string.Equals(r.Name, key, StringComparison.OrdinalIgnoreCase));
            Console.WriteLine(row.Name is not null ? row.Value : throw new CliException($"no preference '{key}': one of {string.Join(", ", rows.Select(r => r.Name))}"));
            return;
        }

        foreach (var (name, value) in rows)
        {
            Console.WriteLine($"{name}: {value}");
        }
    }
}
