using System.CommandLine;
using Spectre.Console;
using Weft.Control.Api;

namespace Weft;

/// <summary>`weft control keys list|create|delete` for auth keys and `weft control keys api list|create|delete` for API keys.</summary>
internal static class ControlKeysCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List auth keys (never their secrets)");
        list.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var table = ControlAdmin.Table("ID", "Reusable", "Ephemeral", "Pre-approved", "Tags", "Uses", "Expires");
            foreach (var k in (await api.ListAuthKeysAsync(c).ConfigureAwait(false)).Keys)
            {
                ControlAdmin.Row(table, k.Id, Yes(k.Reusable), Yes(k.Ephemeral), Yes(k.Preauthorized), string.Join(' ', k.Tags), k.Uses.ToString(System.Globalization.CultureInfo.InvariantCulture), ControlAdmin.When(k.Expires));
            }

            AnsiConsole.Write(table);
        }));

        var reusable = new Option<bool>("--reusable") { Description = "Usable for many nodes" };
        var ephemeral = new Option<bool>("--ephemeral") { Description = "Nodes are deleted after going offline" };
        var preauthorized = new Option<bool>("--preauthorized") { Description = "Nodes need no admin approval" };
        var tags = new Option<string[]>("--tag") { Description = "Tag the nodes (repeatable)", AllowMultipleArgumentsPerToken = true };
        var days = new Option<int?>("--expiry-days") { Description = "Lifetime in days, 1 to 90 (default 90)" };
        var create = new Command("create", "Create an auth key; the secret is printed once") { reusable, ephemeral, preauthorized, tags, days };
        create.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            long? seconds = parse.GetValue(days) is { } d ? d * 86_400L : null;
            var k = await api.CreateAuthKeyAsync(new ApiKeyRequest(parse.GetValue(reusable), parse.GetValue(ephemeral), parse.GetValue(preauthorized),
                parse.GetValue(tags) ?? [], seconds), c).ConfigureAwait(false);
            Console.WriteLine(k.Key);
        }));

        var id = new Argument<string>("id") { Description = "Key id (from list)" };
        var delete = new Command("delete", "Revoke an auth key") { id };
        delete.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, (api, c) => api.DeleteAuthKeyAsync(parse.GetValue(id)!, c)));

        return ControlAdmin.Group("keys", "Auth keys and API keys (needs an API key)", list, create, delete, ApiKeys());
    }

    private static Command ApiKeys()
    {
        var list = new Command("list", "List API keys (never their secrets)");
        list.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var table = ControlAdmin.Table("ID", "User", "Created", "Expires");
            foreach (var k in (await api.ListApiKeysAsync(c).ConfigureAwait(false)).Keys)
            {
                ControlAdmin.Row(table, k.Id, k.UserId, ControlAdmin.When(k.Created), ControlAdmin.When(k.Expires));
            }

            AnsiConsole.Write(table);
        }));

        var days = new Option<int?>("--expiry-days") { Description = "Lifetime in days, 1 to 90 (default 90)" };
        var create = new Command("create", "Create an API key acting as you; the secret is printed once") { days };
        create.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
            Console.WriteLine((await api.CreateApiKeyAsync(parse.GetValue(days) is { } d ? d * 86_400L : null, c).ConfigureAwait(false)).Key)));

        var id = new Argument<string>("id") { Description = "API key id (from keys api list)" };
        var delete = new Command("delete", "Revoke an API key") { id };
        delete.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, (api, c) => api.DeleteApiKeyAsync(parse.GetValue(id)!, c)));

        var group = new Command("api", "REST API keys");
        group.Subcommands.Add(list);
        group.Subcommands.Add(create);
        group.Subcommands.Add(delete);
        return group;
    }

    private static string Yes(bool b) => b ? "yes" : "no";
}
