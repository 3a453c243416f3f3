using System.CommandLine;

namespace Weft;

/// <summary>The `weft` executable: the command line and the composition root, nothing else.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Weft: a self-hostable mesh VPN");
        // One line per command; each command lives in Commands/ and wires its own parts.
        root.Options.Add(NodeCli.Socket);
        root.Subcommands.Add(NodeVersionCommand.Create());
        root.Subcommands.Add(WireGuardCommand.Create());
        root.Subcommands.Add(ControlCommand.Create());
        root.Subcommands.Add(DaemonCommand.Create());
        root.Subcommands.Add(RelayCommand.Create());
        root.Subcommands.Add(UpCommand.CreateUp());
        root.Subcommands.Add(UpCommand.CreateLogin());
        root.Subcommands.Add(DownCommand.CreateDown());
        root.Subcommands.Add(DownCommand.CreateLogout());
        root.Subcommands.Add(SwitchCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(IpCommand.Create());
        root.Subcommands.Add(PingCommand.Create());
        root.Subcommands.Add(WhoIsCommand.Create());
        root.Subcommands.Add(PrefsCommand.CreateSet());
        root.Subcommands.Add(PrefsCommand.CreateGet());
        root.Subcommands.Add(NetcheckCommand.Create());
        root.Subcommands.Add(WebCommand.Create());
        return root.Parse(args).Invoke();
    }
}
