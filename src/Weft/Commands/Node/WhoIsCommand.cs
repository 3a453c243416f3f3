using System.CommandLine;

namespace Weft;

/// <summary>`weft whois IP[:port]`: which machine and user own a tailnet address.</summary>
internal static class WhoIsCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "A tailnet address, optionally with :port ([v6]:port for IPv6)" };
        var command = new Command("whois", "Show the machine and user behind a tailnet address") { address };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var addr = parse.GetValue(address)!;
            var who = await api.WhoIsAsync(addr, c).ConfigureAwait(false);
            if (who is null)
            {
                return NodeCli.Fail($"no node in this tailnet has address {addr}");
            }

            var n = who.Node;
            Console.WriteLine("Machine:");
            Console.WriteLine($"  Name:      {(n.Fqdn.Length > 0 ? n.Fqdn : n.Name)}");
            Console.WriteLine($"  ID:        {n.Id}");
            Console.WriteLine($"  Addresses: {string.Join(' ', n.Addresses)}");
            Console.WriteLine($"  OS:        {n.Os}");
            if (n.Tags.Count > 0)
            {
                Console.WriteLine($"  Tags:      {string.Join(',', n.Tags)}");
            }

            Console.WriteLine("User:");
            Console.WriteLine($"  Login:     {who.User}");
            return 0;
        }));
        return command;
    }
}
