using System.CommandLine;
using Spectre.Console;
using Weft.Control.Api;

namespace Weft;

/// <summary>
/// `weft control tailnet get|set --key-expiry-days N|rename NAME [--domain D]|list|create NAME`: the tailnet's settings, and for server
/// admins (owners and admins of the first tailnet) the server's tailnets.
/// </summary>
internal static class ControlTailnetCommand
{
    public static Command Create()
    {
        var get = new Command("get", "Show the tailnet's settings");
        get.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) => Print(await api.GetTailnetSettingsAsync(c).ConfigureAwait(false))));

        var days = new Option<int>("--key-expiry-days") { Description = "Node key lifetime for new logins and renewals, 0 to 180 days (0: never expire)", Required = true };
        var set = new Command("set", "Change the tailnet's settings") { days };
        set.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
            Print(await api.SetTailnetSettingsAsync(new ApiTailnetSettings(parse.GetValue(days)), c).ConfigureAwait(false))));

        var list = new Command("list", "List the server's tailnets (server admins)");
        list.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var table = ControlAdmin.Table("ID", "Name", "Domain", "Key expiry (days)", "Created");
            foreach (var t in (await api.ListTailnetsAsync(c).ConfigureAwait(false)).Tailnets)
            {
                ControlAdmin.Row(table, t.Id, t.Name, t.Domain, t.DevicesKeyDurationDays.ToString(System.Globalization.CultureInfo.InvariantCulture), ControlAdmin.When(t.Created));
            }

            AnsiConsole.Write(table);
        }));

        var name = new Argument<string>("name") { Description = "DNS-safe tailnet name" };
        var create = new Command("create", "Create a named tailnet unless it exists (server admins)") { name };
        create.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var t = await api.CreateTailnetAsync(parse.GetValue(name)!, c).ConfigureAwait(false);
            Console.WriteLine($"tailnet {t.Name} (id {t.Id}, MagicDNS domain {t.Domain})");
        }));

        var newName = new Argument<string>("name") { Description = "The new name: 1 to 63 letters, digits, '.', '-' or '_'" };
        var domain = new Option<string?>("--domain") { Description = "Also change the MagicDNS domain (machines' names end in it); kept as it is by default" };
        var rename = new Command("rename", "Rename the tailnet; its MagicDNS domain stays unless --domain is given") { newName, domain };
        rename.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var settings = await api.SetTailnetSettingsAsync(new ApiTailnetSettings(null, parse.GetValue(newName), parse.GetValue(domain)), c).ConfigureAwait(false);
            Console.WriteLine($"tailnet is now {settings.Name} (MagicDNS domain {settings.Domain})");
        }));

        return ControlAdmin.Group("tailnet", "Tailnet settings and, for server admins, tailnets (needs an API key)", get, set, rename, list, create);
    }

    private static void Print(ApiTailnetSettings settings)
    {
        if (settings.Name is not null)
        {
            Console.WriteLine($"tailnet {settings.Name}, MagicDNS domain {settings.Domain}");
        }

        Console.WriteLine(settings.DevicesKeyDurationDays is 0 or null
            ? "node keys never expire"
            : $"node keys expire after {settings.DevicesKeyDurationDays} days");
    }
}
