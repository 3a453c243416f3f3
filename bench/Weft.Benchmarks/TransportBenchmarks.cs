using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Weft.WireGuard;
using Weft.WireGuard.Noise;

namespace Weft.Benchmarks;

/// <summary>
/// Sealing and opening one transport message in place, against .NET's ChaCha20Poly1305 class doing the
/// same work (the baseline). Allocations must be zero on our side.
/// </summary>
[MemoryDiagnoser]
public class TransportBenchmarks
{
    private readonly byte[] _buffer = GC.AllocateArray<byte>(Constants.BufferSize, pinned: true);
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _nonce = new byte[12];
    private Keypair _sender = null!;
    private Keypair _receiver = null!;
    private ChaCha20Poly1305 _framework = null!;
    private ulong _counter;

    [Params(64, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_sender, _receiver) = new Pair().Handshake();
        _framework = new ChaCha20Poly1305(RandomNumberGenerator.GetBytes(32));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _framework.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Framework_EncryptThenDecrypt()
    {
        var plain = _buffer.AsSpan(16, Size);
        _framework.Encrypt(_nonce, plain, plain, _tag);
        _framework.Decrypt(_nonce, plain, _tag, plain);
    }

    [Benchmark]
    public bool Keypair_SealThenOpen()
    {
        var length = _sender.Seal(_buffer, Size, _counter++);
        return _receiver.TryOpen(_buffer, length, out _, out _);
    }

    [Benchmark]
    public int Keypair_Seal() => _sender.Seal(_buffer, Size, _counter++);
}
