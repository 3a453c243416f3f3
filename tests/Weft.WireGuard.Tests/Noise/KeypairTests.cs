using System.Buffers.Binary;
using System.Diagnostics;
using Weft.Core.Crypto;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class KeypairTests
{
    private static readonly Key32 KeyA = Key32.From(Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
    private static readonly Key32 KeyB = Key32.From(Convert.FromHexString("f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"));

    /// <summary>Seals <paramref name="payload"/> with <paramref name="sender"/> and opens it with <paramref name="receiver"/>.</summary>
    internal static void AssertRoundTrip(Keypair sender, Keypair receiver, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[Constants.MessageTransportHeaderSize + payload.Length + 32];
        payload.CopyTo(buffer.AsSpan(Constants.MessageTransportOffsetContent));
        Assert.True(sender.TryNextCounter(out var counter));
        var length = sender.Seal(buffer, payload.Length, counter);
        Assert.Equal(MessageType.Transport, MessageTypeOf(buffer.AsSpan(0, length)));
        Assert.Equal(receiver.LocalIndex, Messages.ReadReceiverIndex(buffer, MessageType.Transport));
        Assert.True(receiver.TryOpen(buffer, length, out var plaintextLength, out var received));
        Assert.Equal(counter, received);
        Assert.True(receiver.Replay.TryAccept(received));
        Assert.Equal(0, plaintextLength % Constants.PaddingMultiple);
        Assert.Equal(payload.ToArray(), buffer.AsSpan(Constants.MessageTransportOffsetContent, payload.Length).ToArray());
        Assert.All(buffer.AsSpan(Constants.MessageTransportOffsetContent + payload.Length, plaintextLength - payload.Length).ToArray(), b => Assert.Equal(0, b));
    }

    private static MessageType MessageTypeOf(ReadOnlySpan<byte> message) => Messages.Classify(message);

    private static (Keypair Sender, Keypair Receiver) Pair() =>
        (new Keypair(KeyA, KeyB, true, 1, 2, 0), new Keypair(KeyB, KeyA, false, 2, 1, 0));

    [Fact]
    public void Seal_MatchesDotNetChaCha20Poly1305WithWireGuardNonce()
    {
        using var keypair = new Keypair(KeyA, KeyB, true, 7, 9, 0);
        var plaintext = new byte[100];
        Random.Shared.NextBytes(plaintext);
        var buffer = new byte[16 + 112 + 16];
        plaintext.CopyTo(buffer, 16);
        var length = keypair.Seal(buffer, plaintext.Length, 0x0102030405);
        Assert.Equal(16 + 112 + 16, length);
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(buffer));
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4)));
        Assert.Equal(0x0102030405ul, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(8)));

        var padded = new byte[112];
        plaintext.CopyTo(padded, 0);
        var expected = new byte[112 + 16];
        Aead.Seal(KeyA.AsReadOnlySpan(), 0x0102030405, padded, [], expected);
        Assert.Equal(expected, buffer.AsSpan(16, 128).ToArray());
    }

    [Fact]
    public void TryOpen_DotNetSealedMessage_Decrypts()
    {
        using var keypair = new Keypair(KeyA, KeyB, false, 7, 9, 0);
        var plaintext = "forty-eight bytes of plaintext for the test....."u8.ToArray();
        var buffer = new byte[16 + plaintext.Length + 16];
        buffer[0] = 4;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(8), 77);
        Aead.Seal(KeyB.AsReadOnlySpan(), 77, plaintext, [], buffer.AsSpan(16));
        Assert.True(keypair.TryOpen(buffer, buffer.Length, out var length, out var counter));
        Assert.Equal(77ul, counter);
        Assert.Equal(plaintext, buffer.AsSpan(16, length).ToArray());
    }

    [Fact]
    public void TryOpen_EachByteOfCiphertextOrCounterTampered_IsRejected()
    {
        var (sender, receiver) = Pair();
        using (sender)
        using (receiver)
        {
            var original = new byte[16 + 32 + 16];
            "some packet"u8.CopyTo(original.AsSpan(16));
            var length = sender.Seal(original, 11, 5);
            for (var i = Constants.MessageTransportOffsetCounter; i < length; i++)
            {
                var tampered = (byte[])original.Clone();
                tampered[i] ^= 0x04;
                Assert.False(receiver.TryOpen(tampered, length, out _, out _), $"flipped byte {i} was accepted");
            }
            Assert.True(receiver.TryOpen(original, length, out _, out _));
        }
    }

    [Fact]
    public void TryOpen_TooShortOrCounterAtLimit_IsRejected()
    {
        var (sender, receiver) = Pair();
        using (sender)
        using (receiver)
        {
            var buffer = new byte[64];
            Assert.False(receiver.TryOpen(buffer, Constants.MessageTransportSize - 1, out _, out _));
            Assert.False(receiver.TryOpen(buffer, buffer.Length + 1, out _, out _));
            var length = sender.Seal(buffer, 0, Constants.RejectAfterMessages);
            Assert.False(receiver.TryOpen(buffer, length, out _, out _));
        }
    }

    [Fact]
    public void Keepalive_EmptyPayload_RoundTrips()
    {
        var (sender, receiver) = Pair();
        using (sender)
        using (receiver)
        {
            var buffer = new byte[Constants.MessageTransportSize];
            Assert.Equal(Constants.MessageTransportSize, sender.Seal(buffer, 0, 0));
            Assert.True(receiver.TryOpen(buffer, Constants.MessageTransportSize, out var length, out _));
            Assert.Equal(0, length);
        }
    }

    [Fact]
    public void Seal_Mtu_LimitsPadding()
    {
        using var keypair = new Keypair(KeyA, KeyB, true, 1, 2, 0);
        var buffer = new byte[16 + 1424 + 16];
        Assert.Equal(16 + 1420 + 16, keypair.Seal(buffer, 1419, 0, mtu: 1420));
        Assert.Equal(16 + 1424 + 16, keypair.Seal(buffer, 1419, 0));
    }

    [Fact]
    public void Seal_BufferWithoutRoomForPaddingAndTag_Throws()
    {
        using var keypair = new Keypair(KeyA, KeyB, true, 1, 2, 0);
        Assert.Throws<ArgumentException>(() => keypair.Seal(new byte[16 + 17 + 16], 17, 0));
    }

    [Fact]
    public void TryNextCounter_AtRejectAfterMessages_IsExhausted()
    {
        using var keypair = new Keypair(KeyA, KeyB, true, 1, 2, 0);
        Assert.True(keypair.TryNextCounter(out var first));
        Assert.Equal(0ul, first);
        keypair.SetNextCounterForTest(Constants.RejectAfterMessages - 1);
        Assert.True(keypair.TryNextCounter(out var last));
        Assert.Equal(Constants.RejectAfterMessages - 1, last);
        Assert.False(keypair.TryNextCounter(out _));
        Assert.False(keypair.TryNextCounter(out _));
        Assert.Equal(Constants.RejectAfterMessages, keypair.SentCount);
    }

    [Fact]
    public void TryNextCounter_ManyThreads_HandsOutEachCounterOnce()
    {
        using var keypair = new Keypair(KeyA, KeyB, true, 1, 2, 0);
        const int PerThread = 10_000;
        var seen = new ulong[4][];
        Parallel.For(0, seen.Length, t =>
        {
            seen[t] = new ulong[PerThread];
            for (var i = 0; i < PerThread; i++)
            {
                Assert.True(keypair.TryNextCounter(out seen[t][i]));
            }
        });
        var all = seen.SelectMany(s => s).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, seen.Length * PerThread).Select(i => (ulong)i), all);
        Assert.Equal((ulong)(seen.Length * PerThread), keypair.SentCount);
    }

    [Fact]
    public void SealAndOpen_ManyThreadsAtOnce_AllRoundTrip()
    {
        var (sender, receiver) = Pair();
        using (sender)
        using (receiver)
        {
            Parallel.For(0, 8, t =>
            {
                var buffer = new byte[16 + 1408 + 16];
                for (var i = 0; i < 500; i++)
                {
                    Assert.True(sender.TryNextCounter(out var counter));
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(16), counter);
                    buffer[24] = (byte)t;
                    var length = sender.Seal(buffer, 1400, counter);
                    Assert.True(receiver.TryOpen(buffer, length, out _, out var received));
                    Assert.Equal(counter, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(16)));
                    Assert.Equal((byte)t, buffer[24]);
                    Assert.True(receiver.Replay.TryAccept(received));
                }
            });
        }
    }

    [Fact]
    public void Dispose_ThenUse_FailsWithoutCrashing()
    {
        var (sender, receiver) = Pair();
        var buffer = new byte[64];
        var length = sender.Seal(buffer, 4, 0);
        sender.Dispose();
        receiver.Dispose();
        receiver.Dispose();
        Assert.False(receiver.TryOpen(buffer, length, out _, out _));
        Assert.Equal(0, sender.Seal(buffer, 4, 1));
    }

    [Fact]
    public async Task Dispose_WhileOtherThreadsSeal_TheyFinishOrGetZero()
    {
        var (sender, receiver) = Pair();
        receiver.Dispose();
        using var started = new CountdownEvent(4);
        var results = new List<int>[4];
        var workers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            results[t] = [];
            var buffer = new byte[16 + 64 + 16];
            started.Signal();
            for (var i = 0; i < 2000; i++)
            {
                results[t].Add(sender.Seal(buffer, 64, (ulong)i));
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        started.Wait(TestContext.Current.CancellationToken);
        sender.Dispose();
        await Task.WhenAll(workers);
        Assert.All(results.SelectMany(r => r), length => Assert.True(length is 0 or 96, $"unexpected length {length}"));
    }

    [Fact]
    public void SealAndOpen_Warm_AllocateNothing()
    {
        var (sender, receiver) = Pair();
        using (sender)
        using (receiver)
        {
            var buffer = new byte[16 + 1408 + 16];
            var length = sender.Seal(buffer, 1400, 0);
            Assert.True(receiver.TryOpen(buffer, length, out _, out _));
            // Warm every path first (lazy initialisation and tiered compilation may allocate once).
            for (ulong i = 1; i <= 200; i++)
            {
                length = sender.Seal(buffer, 1400, i);
                receiver.TryOpen(buffer, length, out _, out _);
            }
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (ulong i = 201; i <= 300; i++)
            {
                length = sender.Seal(buffer, 1400, i);
                receiver.TryOpen(buffer, length, out _, out _);
            }
            Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        }
    }
}

internal static class Key32Extensions
{
    public static ReadOnlySpan<byte> AsReadOnlySpan(this in Key32 key) => key;
}
