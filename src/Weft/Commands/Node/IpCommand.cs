using System.CommandLine;
using System.Net;
using System.Net.Sockets;

namespace Weft;

/// <summary>`weft ip [-4|-6] [PEER]`: this node's (or a peer's) tailnet addresses, one per line.</summary>
internal static class IpCommand
{
    public static Command Create()
    {
        var v4 = new Option<bool>("-4") { Description = "Only the IPv4 address" };
        var v6 = new Option<bool>("-6") { Description = "Only the IPv6 address" };
        var peer = new Argument<string?>("peer") { Description = "A peer's name, fqdn or address (default: this node)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ip", "Show this node's or a peer's tailnet addresses") { v4, v6, peer };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            if (parse.GetValue(v4) && parse.GetValue(v6))
            {
                throw new CliException("-4 and -6 exclude each other");
            }

            var status = await api.GetStatusAsync(c).ConfigureAwait(false);
            var target = parse.GetValue(peer);
            var node = target is null ? status.Self : NodeCli.FindNode(status, target);
            if (node is null)
            {
                if (target is not null)
                {
                    throw new CliException($"no peer named {target} (see `weft status`)");
                }

                NodeCli.EnsureRunning(status);
                throw new CliException("this node has no tailnet address yet: run `weft up`");
            }

            var printed = 0;
            foreach (var address in node.Addresses)
            {
                if (!IPAddress.TryParse(address, out var ip)
                    || (parse.GetValue(v4) && ip.AddressFamily != AddressFamily.InterNetwork)
                    || (parse.GetValue(v6) && ip.AddressFamily != AddressFamily.InterNetworkV6))
                {
                    continue;
                }

                Console.WriteLine(address);
                printed++;
            }

            return printed > 0 ? 0 : NodeCli.Fail($"{node.Name} has no {(parse.GetValue(v6) ? "IPv6" : "IPv4")} address");
        }));
        return command;
    }
}
