using System.CommandLine;
using Spectre.Console;
using Weft.Control.Api;

namespace Weft;

/// <summary>`weft control users list|set-role ID ROLE|add LOGIN|place EMAIL|remove EMAIL`.</summary>
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
        var login = new Argument<string>("login") { Description = "Login name, usually an email address" };
        var displayName = new Option<string?>("--name") { Description = "Display name (default: the login)" };
        var newRole = new Option<string>("--role") { Description = "owner, admin or member", DefaultValueFactory = _ => "member" };
        var add = new Command("add", "Add a user to the tailnet") { login, displayName, newRole };
        add.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var u = await api.CreateUserAsync(new ApiNewUser(parse.GetValue(login), parse.GetValue(displayName), parse.GetValue(newRole)), c).ConfigureAwait(false);
            Console.WriteLine($"added {u.LoginName} (id {u.Id}) as {u.Role}");
        }));

        var place = new Command("place", "Put an identity in its tailnet by email domain: the organization's, or a personal one for webmail (server admins)") { login, displayName };
        place.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var p = await api.PlaceUserAsync(new ApiPlaceUser(parse.GetValue(login), parse.GetValue(displayName)), c).ConfigureAwait(false);
            Console.WriteLine($"{p.User.LoginName} is {p.User.Role} of tailnet {p.Tailnet}{(p.Created ? " (new user)" : "")}");
        }));
        var who = new Argument<string>("user") { Description = "The user's login (email address) or id" };
        var remove = new Command("remove", "Remove a user with their machines, auth keys and API keys (not an owner: demote them first)") { who };
        remove.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var given = parse.GetValue(who)!;
            var users = (await api.ListUsersAsync(c).ConfigureAwait(false)).Users;
            var user = users.FirstOrDefault(u => string.Equals(u.LoginName, given, StringComparison.OrdinalIgnoreCase))
                ?? users.FirstOrDefault(u => u.Id == given)
                ?? throw new InvalidDataException($"no user '{given}' in the tailnet (see weft control users list)");
            await api.RemoveUserAsync(user.Id, c).ConfigureAwait(false);
            Console.WriteLine($"removed {user.LoginName} with their machines and keys");
        }));
        return ControlAdmin.Group("users", "Users of the tailnet (needs an API key)", list, setRole, add, place, remove);
    }
}
