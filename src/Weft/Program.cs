using System.CommandLine;
using System.Reflection;

namespace Weft;

/// <summary>The `weft` executable: the command line and the composition root, nothing else.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Weft: a self-hostable mesh VPN");
        var version = new Command("version", "Print the version of weft");
        version.SetAction(_ =>
        {
            Console.WriteLine(Assembly.GetExecutingAssembly().GetName().Version);
            return 0;
        });
        root.Subcommands.Add(version);
        return root.Parse(args).Invoke();
    }
}
