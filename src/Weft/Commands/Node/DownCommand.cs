using System.CommandLine;

namespace Weft;

/// <summary>`weft down` and `weft logout`: disconnect keeping the login, or forget the node key.</summary>
internal static class DownCommand
{
    public static Command CreateDown()
    {
        var command = new Command("down", "Disconnect from the tailnet, keeping the login (`weft up` reconnects)");
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            await api.DownAsync(c).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    public static Command CreateLogout()
    {
        var command = new Command("logout", "Disconnect and forget this device's node key (the next `weft up` logs in again)");
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            await api.LogoutAsync(c).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}
