using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Control;
using Weft.DnsBench;
using Weft.Node.Dns;

// Usage: Weft.DnsBench [seconds per scenario (5)] [client threads (2)] [queries in flight per client (32)] [peers (100)]
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
var window = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
var peerCount = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100;
const string Domain = "bench.example";

using var upstream = new EchoUpstream();
var options = new MagicDnsOptions();
options.ListenEndpoints.Clear();
options.ListenEndpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
await using var dns = new MagicDns(options, NullLogger<MagicDns>.Instance);
await dns.StartAsync(CancellationToken.None);

var peers = Enumerable.Range(2, peerCount).Select(i => Node(i)).ToList();
dns.Update(new DnsConfig { MagicDns = true, Domain = Domain, Nameservers = [upstream.Endpoint.ToString()] }, Node(1), peers);
var server = dns.BoundEndpoints[0];

var scenarios = new (string Name, byte[][] Queries)[]
{
    ("MagicDNS A (fqdn)", [.. peers.Select(p => Query(p.Fqdn, 1))]),
    ("MagicDNS AAAA (short name)", [.. peers.Select(p => Query(p.Name, 28))]),
    ("MagicDNS PTR (100.x)", [.. Enumerable.Range(2, peerCount).Select(i => Query($"{i % 256}.{i / 256}.64.100.in-addr.arpa", 12))]),
    ("MagicDNS NXDOMAIN", [.. Enumerable.Range(0, 100).Select(i => Query($"missing{i}.{Domain}", 1))]),
    ("forwarded, answered from the cache", [.. Enumerable.Range(0, 100).Select(i => Query($"host{i}.example.org", 1))]),
    ("forwarded to a loopback upstream (TTL 0, never cached)", [.. Enumerable.Range(0, 100).Select(i => Query($"nocache{i}.example.org", 1))]),
};

Console.WriteLine($"MagicDNS resolver over UDP on loopback: {peerCount + 1} names, {clients} client threads x {window} in flight, {seconds:0.#} s per scenario, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| scenario | answers/s | allocated bytes/answer | lost |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var (name, queries) in scenarios)
{
    var generator = new LoadGenerator(server, queries, clients, window);
    generator.Run(TimeSpan.FromSeconds(Math.Min(1, seconds / 5))); // warm-up: JIT, tiered compilation, pools
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var started = Stopwatch.GetTimestamp();
    var (answers, lost) = generator.Run(TimeSpan.FromSeconds(seconds));
    var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    Console.WriteLine($"| {name} | {answers / elapsed:N0} | {(double)allocated / Math.Max(1, answers):N1} | {lost} |");
}
Console.WriteLine();
Console.WriteLine($"resolver counters: queries {dns.Counters.Queries:N0}, answered locally {dns.Counters.AnsweredLocally:N0}, from cache {dns.Counters.AnsweredFromCache:N0}, forwarded {dns.Counters.Forwarded:N0}, upstream failures {dns.Counters.UpstreamFailures:N0}, overloaded {dns.Counters.Overloaded:N0}");

static Node Node(int i) => new()
{
    Id = i,
    Name = $"node{i}",
    Fqdn = $"node{i}.{Domain}.",
    NodeKey = $"nodekey:{i}",
    MachineKey = $"mkey:{i}",
    DiscoKey = $"discokey:{i}",
    Addresses = [$"100.64.{i / 256}.{i % 256}/32", $"fd7a:115c:a1e0:ab12::{i:x}/128"],
    AllowedIPs = [],
};

static byte[] Query(string name, ushort type)
{
    var bytes = new List<byte> { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    foreach (var label in name.TrimEnd('.').Split('.'))
    {
        bytes.Add((byte)label.Length);
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
    }
    bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
    return [.. bytes];
}

/// <summary>A minimal upstream on loopback that answers every query with one A record, for the forwarding row.</summary>
internal sealed class EchoUpstream : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread _thread;

    public EchoUpstream()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Serve) { IsBackground = true, Name = "dns-upstream" };
        _thread.Start();
    }

    public IPEndPoint Endpoint { get; }

    private void Serve()
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            if (length < 12)
            {
                continue;
            }
            buffer[2] |= 0x80;
            buffer[3] = 0x80;
            buffer[7] = 1;
            // Names starting "nocache" get TTL 0, so the resolver must forward every one of them.
            var ttl = buffer.AsSpan(13).StartsWith("nocache"u8) ? (byte)0 : (byte)60;
            ReadOnlySpan<byte> answer = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, ttl, 0, 4, 192, 0, 2, 1];
            answer.CopyTo(buffer.AsSpan(length));
            try
            {
                _socket.SendTo(buffer.AsSpan(0, length + answer.Length), SocketFlags.None, from);
            }
            catch (SocketException)
            {
                // The resolver's per-query socket is already gone.
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
