using System.CommandLine;
using Spectre.Console;

namespace Weft;

/// <summary>`weft control nodes list|delete|rename|expire|key-expiry|authorize|routes`.</summary>
internal static class ControlNodesCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the tailnet's nodes");
        list.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var table = ControlAdmin.Table("ID", "Name", "User", "Addresses", "Tags", "Authorized", "Last seen", "Key expiry");
            foreach (var d in (await api.ListDevicesAsync(c).ConfigureAwait(false)).Devices)
            {
                ControlAdmin.Row(table, d.Id, d.Name, d.User ?? "", string.Join(' ', d.Addresses), string.Join(' ', d.Tags), d.Authorized ? "yes" : "no",
                    ControlAdmin.When(d.LastSeen), d.KeyExpiryDisabled ? "disabled" : ControlAdmin.When(d.Expires));
            }

            AnsiConsole.Write(table);
        }));

        var id = new Argument<string>("id") { Description = "Node id (from nodes list)" };
        var delete = new Command("delete", "Delete a node; its peers drop it at once") { id };
        delete.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, (api, c) => api.DeleteDeviceAsync(parse.GetValue(id)!, c)));

        var name = new Argument<string>("name") { Description = "New machine name (a DNS label)" };
        var rename = new Command("rename", "Set a node's machine name") { id, name };
        rename.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
            Console.WriteLine((await api.RenameDeviceAsync(parse.GetValue(id)!, parse.GetValue(name)!, c).ConfigureAwait(false)).Name)));

        var expire = new Command("expire", "Expire a node's key now (it must log in again)") { id };
        expire.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, (api, c) => api.ExpireDeviceAsync(parse.GetValue(id)!, c)));

        var state = new Argument<string>("state") { Description = "on or off" };
        state.AcceptOnlyFromAmong("on", "off");
        var keyExpiry = new Command("key-expiry", "Turn a node's key expiry on or off") { id, state };
        keyExpiry.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var d = await api.SetKeyExpiryDisabledAsync(parse.GetValue(id)!, parse.GetValue(state) == "off", c).ConfigureAwait(false);
            Console.WriteLine(d.KeyExpiryDisabled ? $"{d.Name}: key expiry disabled" : $"{d.Name}: key expires {ControlAdmin.When(d.Expires)}");
        }));

        var authorize = new Command("authorize", "Authorize a node waiting for approval") { id };
        authorize.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, (api, c) => api.AuthorizeDeviceAsync(parse.GetValue(id)!, true, c)));

        var enable = new Option<string[]>("--enable") { Description = "Routes to enable (each advertised by the node); none given shows the routes", AllowMultipleArgumentsPerToken = true };
        var routes = new Command("routes", "Show or enable a node's subnet routes") { id, enable };
        routes.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var wanted = parse.GetValue(enable);
            var r = wanted is { Length: > 0 }
                ? await api.SetRoutesAsync(parse.GetValue(id)!, wanted, c).ConfigureAwait(false)
                : await api.GetRoutesAsync(parse.GetValue(id)!, c).ConfigureAwait(false);
            var table = ControlAdmin.Table("Route", "Enabled");
            foreach (var route in r.AdvertisedRoutes)
            {
                ControlAdmin.Row(table, route, r.EnabledRoutes.Contains(route) ? "yes" : "no");
            }

            AnsiConsole.Write(table);
        }));
        return ControlAdmin.Group("nodes", "Nodes of the tailnet (needs an API key)", list, delete, rename, expire, keyExpiry, authorize, routes);
    }
}
