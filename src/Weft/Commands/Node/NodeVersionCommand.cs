using System.CommandLine;
using System.Reflection;

namespace Weft;

/// <summary>`weft version`: this executable's version, the daemon's, and whether control knows a newer client.</summary>
internal static class NodeVersionCommand
{
    public static Command Create()
    {
        var clientOnly = new Option<bool>("--client") { Description = "Only this executable's version; do not ask the daemon" };
        var command = new Command("version", "Print the version of weft (and of the running daemon)") { clientOnly };
        command.SetAction(async (parse, ct) =>
        {
            var mine = Assembly.GetExecutingAssembly().GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine(mine);
            if (parse.GetValue(clientOnly))
            {
                return 0;
            }

            using var api = new Weft.Node.LocalApi.LocalApiClient(parse.GetValue(NodeCli.Socket)!, TimeSpan.FromSeconds(5));
            try
            {
                var v = await api.GetVersionAsync(ct).ConfigureAwait(false);
                Console.WriteLine($"  daemon: {v.Version}");
                if (v.LatestClientVersion is { } latest && IsNewer(latest, mine))
                {
                    Console.WriteLine($"  a newer client is available: {latest} (the coordination server says so)");
                }
            }
            catch (Weft.Node.LocalApi.LocalApiException ex) when (ex.DaemonUnreachable)
            {
                // The executable's own version is still the answer; the daemon is optional here.
                Console.WriteLine("  daemon: not running");
            }

            return 0;
        });
        return command;
    }

    /// <summary>Compares the numeric part ("1.2.3" of "1.2.3+abc"); anything unparsable is never "newer".</summary>
    internal static bool IsNewer(string candidate, string current) =>
        Version.TryParse(candidate.Split('+', '-')[0], out var a) && Version.TryParse(current.Split('+', '-')[0], out var b) && a > b;
}
