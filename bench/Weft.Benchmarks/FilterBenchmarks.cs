using System.Buffers.Binary;
using System.Net;
using BenchmarkDotNet.Attributes;
using Weft.Core.Wire;
using Weft.Node.Filter;

namespace Weft.Benchmarks;

/// <summary>
/// The tailnet filter's cost per packet on the data path: an inbound packet a rule allows, an inbound reply
/// on a tracked flow, an outbound packet refreshing its flow, and a refused packet; against the stateless
/// rule check alone (the baseline). Allocations must be zero.
/// </summary>
[MemoryDiagnoser]
public class FilterBenchmarks
{
    private readonly byte[] _sshSyn = Tcp4("100.64.0.2", 50000, "100.64.0.1", 22);
    private readonly byte[] _httpSyn = Tcp4("100.64.0.2", 50000, "100.64.0.1", 80);
    private readonly byte[] _query = Udp4("100.64.0.1", 40000, "100.64.0.2", 53);
    private readonly byte[] _answer = Udp4("100.64.0.2", 53, "100.64.0.1", 40000);
    private TailnetFilter _filter = null!;
    private PacketFilter _rules = null!;

    [GlobalSetup]
    public void Setup()
    {
        FilterRule[] rules =
        [
            new()
            {
                Sources = ["100.64.0.2/32", "fd7a:115c:a1e0::2/128"],
                Destinations = [new FilterDestination("100.64.0.1/32", new PortRange(22, 22)), new FilterDestination("fd7a:115c:a1e0::1/128", new PortRange(22, 22))],
                Protocols = [IpProtocol.Tcp],
            },
        ];
        _rules = new PacketFilter(rules);
        _filter = new TailnetFilter(TimeProvider.System);
        _filter.SetRules(rules, [IPNetwork.Parse("100.64.0.1/32"), IPNetwork.Parse("fd7a:115c:a1e0::1/128")]);
        _filter.AllowOutbound(_query);
    }

    [GlobalCleanup]
    public void Cleanup() => _filter.Dispose();

    [Benchmark(Baseline = true)]
    public bool Rules_Stateless_AllowedByRule() => _rules.Allows(_sshSyn);

    [Benchmark]
    public bool Inbound_AllowedByRule() => _filter.AllowInbound(_sshSyn);

    [Benchmark]
    public bool Inbound_ReplyOnTrackedFlow() => _filter.AllowInbound(_answer);

    [Benchmark]
    public bool Outbound_OnTrackedFlow() => _filter.AllowOutbound(_query);

    [Benchmark]
    public bool Inbound_Refused() => _filter.AllowInbound(_httpSyn);

    private static byte[] Tcp4(string source, ushort sourcePort, string destination, ushort destinationPort)
    {
        var packet = Ip4(source, destination, 6, 20);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), destinationPort);
        packet[32] = 5 << 4;
        packet[33] = 0x02; // SYN
        return packet;
    }

    private static byte[] Udp4(string source, ushort sourcePort, string destination, ushort destinationPort)
    {
        var packet = Ip4(source, destination, 17, 8 + 32);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), 8 + 32);
        return packet;
    }

    private static byte[] Ip4(string source, string destination, byte protocol, int transportLength)
    {
        var packet = new byte[20 + transportLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = protocol;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12, 4), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16, 4), out _);
        return packet;
    }
}
