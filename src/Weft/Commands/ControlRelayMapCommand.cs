using System.CommandLine;
using Spectre.Console;
using Weft.Control.Api;

namespace Weft;

/// <summary>`weft control relaymap get|set FILE|reset`: the relays every node uses, for server admins.</summary>
internal static class ControlRelayMapCommand
{
    public static Command Create()
    {
        var get = new Command("get", "Show the relay map nodes get, and where it comes from");
        get.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) => Print(await api.GetRelayMapAsync(c).ConfigureAwait(false))));

        var file = new Argument<string>("file") { Description = "JSON file: {\"embedded\": true|false, \"regions\": [{\"id\", \"code\", \"name\", \"relays\": [{\"url\", \"publicKey\", \"stunHost\", \"stunPort\"}]}]} ('-' reads standard input)" };
        var set = new Command("set", "Replace the relay map's regions (kept in the database; connected nodes get it at once)") { file };
        set.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var path = parse.GetValue(file)!;
            var json = path == "-" ? await Console.In.ReadToEndAsync(c).ConfigureAwait(false) : await File.ReadAllTextAsync(path, c).ConfigureAwait(false);
            Print(await api.SetRelayMapAsync(json, c).ConfigureAwait(false));
        }));

        var reset = new Command("reset", "Drop the stored relay map: the config file's relays apply again");
        reset.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) => Print(await api.ResetRelayMapAsync(c).ConfigureAwait(false))));
        return ControlAdmin.Group("relaymap", "The server's relay map (server admins; needs an API key)", get, set, reset);
    }

    private static void Print(ApiRelayMap map)
    {
        Console.WriteLine(map.Source == "database" ? "relay map set through the API (weft control relaymap reset goes back to the config's)" : "relay map from the config file");
        var table = ControlAdmin.Table("Region", "Code", "Name", "Relay URL", "STUN port");
        foreach (var region in map.RelayMap.Regions)
        {
            foreach (var relay in region.Relays)
            {
                ControlAdmin.Row(table, region.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + (region.Id == map.EmbeddedRegionId ? " (embedded)" : ""),
                    region.Code, region.Name, relay.Url, relay.StunPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        AnsiConsole.Write(table);
    }
}
