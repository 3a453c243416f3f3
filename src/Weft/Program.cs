using System.CommandLine;

namespace Weft;

/// <summary>The `weft` executable: the command line and the composition root, nothing else.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Weft: a self-hostable mesh VPN");
        // One line per command; each command lives in Commands/ and wires its own parts.
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(WireGuardCommand.Create());
        root.Subcommands.Add(ControlCommand.Create());
        return root.Parse(args).Invoke();
    }
}
