using System.CommandLine;
using System.Globalization;
using Weft.Node.LocalApi;

namespace Weft;

/// <summary>`weft ping NAME`: pings a peer through the tunnel and says which path answered and how fast.</summary>
internal static class PingCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "A peer's name, fqdn or tailnet address" };
        var count = new Option<int>("--count", "-c") { Description = "How many pings to send", DefaultValueFactory = _ => 4 };
        var command = new Command("ping", "Ping a peer over the tunnel and report the path (direct or relay) and latency") { target, count };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var n = parse.GetValue(count);
            if (n is < 1 or > 1000)
            {
                throw new CliException("--count must be between 1 and 1000");
            }

            var name = parse.GetValue(target)!;
            var answer = await api.PingAsync(new PingRequest { Target = name, Count = n }, c).ConfigureAwait(false);
            var peer = answer.Peer.Length > 0 ? answer.Peer : name;
            var path = answer.Path.Length > 0 ? answer.Path : "unknown path";
            foreach (var ms in answer.LatenciesMs)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pong from {peer} ({answer.Ip}) via {path} in {ms:0.##}ms"));
            }

            if (!answer.Ok)
            {
                return NodeCli.Fail($"no reply from {peer} ({answer.Ip}) after {n} ping(s): is it online, and does the policy let this node reach it?");
            }

            if (answer.LatenciesMs.Count < n)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n - answer.LatenciesMs.Count} of {n} pings got no reply"));
            }

            return 0;
        }));
        return command;
    }
}
