using System.CommandLine;
using Spectre.Console;

namespace Weft;

/// <summary>`weft control users list|set-role ID ROLE`.</summary>
internal static class ControlUsersCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the tailnet's users");
        list.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var table = ControlAdmin.Table("ID", "Login", "Name", "Role", "Created");
            foreach (var u in (await api.ListUsersAsync(c).ConfigureAwait(false)).Users)
            {
                ControlAdmin.Row(table, u.Id, u.LoginName, u.DisplayName, u.Role, ControlAdmin.When(u.Created));
            }

            AnsiConsole.Write(table);
        }));

        var id = new Argument<string>("id") { Description = "User id (from users list)" };
        var role = new Argument<string>("role") { Description = "owner, admin or member" };
        var setRole = new Command("set-role", "Change a user's role") { id, role };
        setRole.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var u = await api.SetRoleAsync(parse.GetValue(id)!, parse.GetValue(role)!, c).ConfigureAwait(false);
            Console.WriteLine($"{u.LoginName} is now {u.Role}");
        }));
        return ControlAdmin.Group("users", "Users of the tailnet (needs an API key)", list, setRole);
    }
}
