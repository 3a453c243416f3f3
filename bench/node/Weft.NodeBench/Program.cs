using System.Globalization;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

// bench/node/run.sh: `Weft.NodeBench --server URL --auth-key KEY --count N` registers N nodes (machine key,
// node key, hostname bench-I) with the control server and exits: they stay in the tailnet as offline peers of
// every real node, which is what the daemon's memory with N peers is measured against.
string? server = null, authKey = null;
var count = 100;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--server": server = args[i + 1]; break;
        case "--auth-key": authKey = args[i + 1]; break;
        case "--count": count = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown flag {args[i]}");
            return 2;
    }
}

if (server is null || authKey is null || count < 1)
{
    Console.Error.WriteLine("usage: Weft.NodeBench --server URL --auth-key KEY [--count 100]");
    return 2;
}

var uri = new Uri(server);
using var http = new HttpClient();
var serverKey = await ControlClient.FetchServerKeyAsync(http, uri);
var next = -1;

// A few registrations at a time: enough to finish quickly, few enough not to look like a flood to the server.
await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
{
    int index;
    while ((index = Interlocked.Increment(ref next)) < count)
    {
        await using var client = await ControlClient.ConnectAsync(uri, Curve25519.GeneratePrivateKey(), serverKey);
        var nodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString();
        var answer = await client.RegisterAsync(new RegisterRequest
        {
            NodeKey = nodeKey,
            AuthKey = authKey,
            HostInfo = new HostInfo { Hostname = string.Create(CultureInfo.InvariantCulture, $"bench-{index}"), OS = "linux", ClientVersion = "nodebench" },
        });
        if (!answer.Authorized)
        {
            throw new ControlProtocolException($"registration {index} refused: {answer.Error ?? "not authorized"}");
        }
    }
}));

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"registered {count} nodes"));
return 0;
