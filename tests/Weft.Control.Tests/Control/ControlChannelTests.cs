using System.Buffers.Binary;
using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Control.Tests.Control;

public sealed class ControlChannelTests
{
    private readonly Key32 _server = Curve25519.GeneratePrivateKey();
    private readonly Key32 _machine = Curve25519.GeneratePrivateKey();

    [Fact]
    public async Task Connect_RightServerKey_EstablishesBothWaysAndAuthenticatesMachine()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = DuplexStream.CreatePair();
        var accept = ControlChannel.AcceptAsync(b, _server, ct);
        await using var client = await ControlChannel.ConnectAsync(a, _machine, Curve25519.PublicKey(_server), ct);
        await using var server = await accept;
        Assert.Equal(Curve25519.PublicKey(_machine), server.RemoteStatic);

        await client.SendAsync("hello"u8.ToArray(), ct);
        Assert.Equal("hello"u8.ToArray(), await server.ReceiveAsync(ct));
        // Larger than the pipe's buffer: the receive must run while the send is in flight.
        var receive = client.ReceiveAsync(ct);
        await server.SendAsync(new byte[100_000], ct);
        Assert.Equal(100_000, (await receive)!.Length);
    }

    [Fact]
    public async Task Connect_WrongServerKey_FailsOnBothSides()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = DuplexStream.CreatePair();
        var accept = ControlChannel.AcceptAsync(b, _server, ct);
        var wrong = Curve25519.PublicKey(Curve25519.GeneratePrivateKey());
        var connect = ControlChannel.ConnectAsync(a, _machine, wrong, ct);
        await Assert.ThrowsAsync<ControlProtocolException>(() => accept);
        b.Dispose();
        await Assert.ThrowsAsync<ControlProtocolException>(() => connect);
    }

    [Fact]
    public async Task Receive_TamperedFrame_Throws()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = DuplexStream.CreatePair();
        var (tap, wire) = DuplexStream.CreatePair();
        // The client talks to the tap; we copy handshake frames to the server untouched, then flip one bit.
        var accept = ControlChannel.AcceptAsync(b, _server, ct);
        var connect = ControlChannel.ConnectAsync(tap, _machine, Curve25519.PublicKey(_server), ct);
        await Relay(wire, a, ct);
        await Relay(a, wire, ct);
        await using var client = await connect;
        await using var server = await accept;

        await client.SendAsync("payload"u8.ToArray(), ct);
        var frame = await ReadFrame(wire, ct);
        frame[^1] ^= 1;
        await a.WriteAsync(frame, ct);
        await a.FlushAsync(ct);
        await Assert.ThrowsAsync<ControlProtocolException>(() => server.ReceiveAsync(ct));
    }

    [Fact]
    public async Task Receive_OversizedLength_ThrowsWithoutReadingBody()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = DuplexStream.CreatePair();
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, int.MaxValue);
        await a.WriteAsync(prefix, ct);
        await a.FlushAsync(ct);
        var ex = await Assert.ThrowsAsync<ControlProtocolException>(() => ControlChannel.AcceptAsync(b, _server, ct));
        Assert.Contains("exceeds", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_GarbageHandshake_Throws()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = DuplexStream.CreatePair();
        var garbage = new byte[4 + 200];
        BinaryPrimitives.WriteInt32BigEndian(garbage, 200);
        await a.WriteAsync(garbage, ct);
        await a.FlushAsync(ct);
        await Assert.ThrowsAsync<ControlProtocolException>(() => ControlChannel.AcceptAsync(b, _server, ct));
    }

    [Fact]
    public async Task Receive_PeerClosedBetweenFrames_ReturnsNull()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = DuplexStream.CreatePair();
        var accept = ControlChannel.AcceptAsync(b, _server, ct);
        var client = await ControlChannel.ConnectAsync(a, _machine, Curve25519.PublicKey(_server), ct);
        await using var server = await accept;
        await client.DisposeAsync();
        Assert.Null(await server.ReceiveAsync(ct));
    }

    private static async Task Relay(Stream from, Stream to, CancellationToken ct)
    {
        var frame = await ReadFrame(from, ct);
        await to.WriteAsync(frame, ct);
        await to.FlushAsync(ct);
    }

    private static async Task<byte[]> ReadFrame(Stream s, CancellationToken ct)
    {
        var prefix = new byte[4];
        await s.ReadExactlyAsync(prefix, ct);
        var frame = new byte[4 + BinaryPrimitives.ReadInt32BigEndian(prefix)];
        prefix.CopyTo(frame, 0);
        await s.ReadExactlyAsync(frame.AsMemory(4), ct);
        return frame;
    }
}
