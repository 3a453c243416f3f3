using System.CommandLine;
using Spectre.Console;

namespace Weft;

/// <summary>`weft switch [PROFILE]`: list the login profiles on this device, or make another one current.</summary>
internal static class SwitchCommand
{
    public static Command Create()
    {
        var profile = new Argument<string?>("profile") { Description = "Profile id or user login to switch to; none lists the profiles", Arity = ArgumentArity.ZeroOrOne };
        var list = new Option<bool>("--list") { Description = "List the profiles" };
        var command = new Command("switch", "Switch to another login profile (another user or tailnet) on this device") { profile, list };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var wanted = parse.GetValue(profile);
            if (wanted is null || parse.GetValue(list))
            {
                var table = NodeCli.Table("ID", "User", "Tailnet", "");
                foreach (var p in await api.GetProfilesAsync(c).ConfigureAwait(false))
                {
                    NodeCli.Row(table, p.Id, p.User, p.Tailnet, p.Current ? "*" : "");
                }

                NodeCli.Write(table);
                return 0;
            }

            await api.SwitchAsync(wanted, c).ConfigureAwait(false);
            Console.WriteLine($"Switched to {wanted}.");
            return 0;
        }));
        return command;
    }
}
