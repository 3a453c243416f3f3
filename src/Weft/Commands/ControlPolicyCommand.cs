using System.CommandLine;
using Spectre.Console;

namespace Weft;

/// <summary>`weft control policy get|set FILE|validate FILE|history|preview --node ID|--user LOGIN`.</summary>
internal static class ControlPolicyCommand
{
    public static Command Create()
    {
        var get = new Command("get", "Print the current policy (HuJSON)");
        get.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) => Console.Write(await api.GetPolicyAsync(c).ConfigureAwait(false))));

        var file = new Argument<FileInfo>("file") { Description = "HuJSON policy file" };
        var set = new Command("set", "Validate, test and save a policy") { file };
        set.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            await api.SetPolicyAsync(await File.ReadAllTextAsync(parse.GetValue(file)!.FullName, c).ConfigureAwait(false), c).ConfigureAwait(false);
            Console.WriteLine("policy saved");
        }));

        var validate = new Command("validate", "Validate and test a policy without saving it") { file };
        validate.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            await api.ValidatePolicyAsync(await File.ReadAllTextAsync(parse.GetValue(file)!.FullName, c).ConfigureAwait(false), c).ConfigureAwait(false);
            Console.WriteLine("policy is valid and its tests pass");
        }));

        var history = new Command("history", "List saved policy versions, newest first");
        history.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var table = ControlAdmin.Table("Version", "Saved", "By user", "Lines");
            foreach (var v in (await api.PolicyHistoryAsync(c).ConfigureAwait(false)).Versions)
            {
                ControlAdmin.Row(table, v.Id, ControlAdmin.When(v.Created), v.UserId ?? "(default)", v.Policy.Split('\n').Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
        }));

        var node = new Option<string?>("--node") { Description = "Node id to preview" };
        var user = new Option<string?>("--user") { Description = "User login to preview" };
        var preview = new Command("preview", "What a node or user may reach under the current policy") { node, user };
        preview.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            if ((parse.GetValue(node) is null) == (parse.GetValue(user) is null))
            {
                throw new InvalidDataException("give exactly one of --node ID and --user LOGIN");
            }

            var p = await api.PreviewAsync(parse.GetValue(node), parse.GetValue(user), c).ConfigureAwait(false);
            var table = ControlAdmin.Table("Device", "Name", "Allowed destinations");
            foreach (var r in p.Reachable)
            {
                ControlAdmin.Row(table, r.DeviceId, r.Name, string.Join(", ", r.Allow));
            }

            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(p.Subject)}[/] may reach:");
            AnsiConsole.Write(table);
        }));
        return ControlAdmin.Group("policy", "The tailnet's access policy (needs an API key)", get, set, validate, history, preview);
    }
}
