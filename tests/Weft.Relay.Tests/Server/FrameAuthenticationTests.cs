using System.Text;
using Weft.Core.Keys;
using Weft.Relay.Protocol;
using Weft.Relay.Server;

namespace Weft.Relay.Tests.Server;

/// <summary>
/// Every frame after the handshake is sealed with the connection's Noise transport keys: an attacker on the path
/// (plain http://, or behind a proxy that ends TLS) can neither alter, replay nor inject one.
/// </summary>
public sealed class FrameAuthenticationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneBitFlippedInTheCiphertext_ClosesThatConnection_IsCounted_OthersUnaffected()
    {
        await using var relay = new InMemoryRelay();
        await using var a = relay.Connect(out var aWire);
        await using var b = relay.Connect(out _);
        await using var c = relay.Connect(out _);
        await RegisteredAsync(relay, a, b, c);

        var tampered = Encoding.ASCII.GetBytes("pay mallory, not bob");
        aWire.Current.FlipNextWrite(RelayConstants.RecordHeaderLength + 10);
        Assert.True(a.Client.TrySend(b.Key, tampered));

        await Eventually.TrueAsync(() => relay.Server.Metrics.Drops(DropReason.Unauthenticated) == 1, "the altered frame is counted");
        await Eventually.TrueAsync(() => a.Client.Connects == 2, "the sender's connection was closed, and it reconnects with fresh keys");
        Assert.Equal(0, relay.Server.Metrics.Drops(DropReason.Malformed) + relay.Server.Metrics.Drops(DropReason.TooLarge));
        await c.DeliverAsync(b, [2]);
        await b.DeliverAsync(c, [3]);
        await a.DeliverAsync(b, [4]);
        Assert.Equal(1, c.Client.Connects);
        Assert.Equal(1, b.Client.Connects);
        AssertNeverReceived(b, tampered);
    }

    [Fact]
    public async Task ReplayedFrame_IsDeliveredOnce_ThenClosesThatConnection_AndIsCounted()
    {
        await using var relay = new InMemoryRelay();
        await using var a = relay.Connect(out var aWire);
        await using var b = relay.Connect(out _);
        await using var c = relay.Connect(out _);
        await RegisteredAsync(relay, a, b, c);

        var once = Encoding.ASCII.GetBytes("transfer 100 once");
        aWire.Current.ReplayNextWrite();
        Assert.True(a.Client.TrySend(b.Key, once));

        await Eventually.TrueAsync(() => relay.Server.Metrics.Drops(DropReason.Unauthenticated) == 1, "the replayed frame is counted");
        await Eventually.TrueAsync(() => a.Client.Connects == 2, "the sender reconnects");
        await c.DeliverAsync(b, [2]);
        Assert.Equal(1, TimesReceived(b, once));
    }

    [Fact]
    public async Task PlaintextSendPacket_InjectedAfterTheHandshake_IsRefused()
    {
        await using var relay = new InMemoryRelay();
        await using var a = relay.Connect(out var aWire);
        await using var b = relay.Connect(out _);
        await using var c = relay.Connect(out _);
        await RegisteredAsync(relay, a, b, c);

        // What an attacker could do in version 1: a send-packet frame attributed to a's authenticated key.
        var injected = Encoding.ASCII.GetBytes("from a, believe me");
        await aWire.Current.InjectAsync(PlainFrame(FrameType.SendPacket, b.Key, injected), Ct);

        await Eventually.TrueAsync(() => relay.Server.Metrics.Drops(DropReason.TooLarge) == 1, "the injected frame is refused and counted");
        await Eventually.TrueAsync(() => a.Client.Connects == 2, "a's connection was closed, and a reconnects");
        await c.DeliverAsync(b, [2]);
        await a.DeliverAsync(b, [3]);
        AssertNeverReceived(b, injected);
    }

    [Fact]
    public async Task ForgedSealedFrame_InjectedAfterTheHandshake_IsRefused()
    {
        await using var relay = new InMemoryRelay();
        await using var a = relay.Connect(out var aWire);
        await using var b = relay.Connect(out _);
        await RegisteredAsync(relay, a, b);

        // A well-formed sealed length followed by bytes the attacker cannot make authentic.
        var forged = new byte[4 + 1 + 32 + 20 + 16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(forged, (uint)(forged.Length - 4));
        Random.Shared.NextBytes(forged.AsSpan(4));
        await aWire.Current.InjectAsync(forged, Ct);

        await Eventually.TrueAsync(() => relay.Server.Metrics.Drops(DropReason.Unauthenticated) == 1, "the forged frame is refused and counted");
        await Eventually.TrueAsync(() => a.Client.Connects == 2, "a reconnects");
        await a.DeliverAsync(b, [1]);
    }

    [Fact]
    public async Task FrameFromTheRelay_AlteredOnTheWay_IsNotDelivered_AndTheClientReconnects()
    {
        await using var relay = new InMemoryRelay();
        await using var a = relay.Connect(out _);
        await using var b = relay.Connect(out var bWire);
        await RegisteredAsync(relay, a, b);

        // Rewriting the source key of a received packet was possible in version 1.
        var packet = Encoding.ASCII.GetBytes("who sent this?");
        bWire.Current.FlipNextRead(RelayConstants.RecordHeaderLength + 1);
        Assert.True(a.Client.TrySend(b.Key, packet));

        await Eventually.TrueAsync(() => b.Client.Connects == 2, "b drops the connection whose frame did not authenticate, and reconnects");
        await a.DeliverAsync(b, [2]);
        AssertNeverReceived(b, packet);
    }

    /// <summary>Waits until the relay has every node registered (so no test packet races a registration, and nothing is resent).</summary>
    private static async Task RegisteredAsync(InMemoryRelay relay, params TestNode[] nodes)
    {
        foreach (var node in nodes)
        {
            await node.Client.WaitConnectedAsync(Ct);
        }

        await Eventually.TrueAsync(() => nodes.All(n => relay.Server.IsLocal(n.Key)), "every node is registered on the relay");
    }

    /// <summary>A version 1 frame: header and body in the clear.</summary>
    private static byte[] PlainFrame(FrameType type, NodePublic destination, byte[] packet)
    {
        var frame = new byte[RelayConstants.FrameHeaderLength + 32 + packet.Length];
        Frame.WriteHeader(frame, type, 32 + packet.Length);
        var key = destination.Key;
        ((ReadOnlySpan<byte>)key).CopyTo(frame.AsSpan(RelayConstants.FrameHeaderLength));
        packet.CopyTo(frame, RelayConstants.FrameHeaderLength + 32);
        return frame;
    }

    private static int TimesReceived(TestNode node, byte[] packet) => node.History.Count(p => p.AsSpan().SequenceEqual(packet));

    private static void AssertNeverReceived(TestNode node, byte[] packet) => Assert.Equal(0, TimesReceived(node, packet));
}
