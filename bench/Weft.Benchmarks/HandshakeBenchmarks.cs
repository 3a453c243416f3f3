using BenchmarkDotNet.Attributes;

namespace Weft.Benchmarks;

/// <summary>A complete Noise IKpsk2 handshake, both sides (four Diffie-Hellmans each), and session derivation.</summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private readonly Pair _pair = new();

    [Benchmark]
    public void Handshake_BothSides()
    {
        var (a, b) = _pair.Handshake();
        a.Dispose();
        b.Dispose();
    }
}
