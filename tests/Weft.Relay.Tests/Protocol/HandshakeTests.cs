using System.IO.Pipelines;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;

namespace Weft.Relay.Tests.Protocol;

public sealed class HandshakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Handshake_TellsTheRelayTheClientsNodeKey()
    {
        var relay = Curve25519.GeneratePrivateKey();
        var node = Curve25519.GeneratePrivateKey();
        var (client, server) = DuplexStream.CreatePair();

        var accept = RelayHandshake.AcceptAsync(server, PipeReader.Create(server), relay, default, Ct);
        await RelayHandshake.ConnectAsync(client, PipeReader.Create(client), node, Curve25519.PublicKey(relay), ClientKind.Node, default, Ct);
        var session = await accept;

        Assert.Equal(Curve25519.PublicKey(node), session.RemoteKey);
        Assert.Equal(ClientKind.Node, session.Kind);
    }

    [Fact]
    public async Task Handshake_GivesBothSidesMatchingFrameCiphers_OnePerDirection()
    {
        var relay = Curve25519.GeneratePrivateKey();
        var (client, server) = DuplexStream.CreatePair();
        var accept = RelayHandshake.AcceptAsync(server, PipeReader.Create(server), relay, default, Ct);
        var near = await RelayHandshake.ConnectAsync(client, PipeReader.Create(client), Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(relay), ClientKind.Node, default, Ct);
        var far = await accept;

        Assert.Equal(Curve25519.PublicKey(relay), near.RemoteKey);
        var sealedUp = Seal(near.Send, [1, 2, 3]);
        var sealedDown = Seal(far.Send, [1, 2, 3]);
        // Each direction has its own key: the same plaintext at the same counter seals differently.
        Assert.NotEqual(sealedUp, sealedDown);
        Assert.True(far.Receive.TryOpen(sealedUp, new byte[3]));
        Assert.True(near.Receive.TryOpen(sealedDown, new byte[3]));
        // A side cannot open what it sealed itself (that would let a reflected frame pass).
        Assert.False(near.Receive.TryOpen(Seal(near.Send, [4]), new byte[1]));
    }

    private static byte[] Seal(ControlCipher cipher, byte[] plaintext)
    {
        var sealedBytes = new byte[plaintext.Length + Aead.TagLength];
        cipher.Seal(plaintext, sealedBytes);
        return sealedBytes;
    }

    [Fact]
    public async Task ClientExpectingAnotherRelayKey_IsRefusedByTheRelay()
    {
        var relay = Curve25519.GeneratePrivateKey();
        var (client, server) = DuplexStream.CreatePair();

        var accept = RelayHandshake.AcceptAsync(server, PipeReader.Create(server), relay, default, Ct);
        var connect = RelayHandshake.ConnectAsync(client, PipeReader.Create(client), Curve25519.GeneratePrivateKey(),
            Curve25519.PublicKey(Curve25519.GeneratePrivateKey()), ClientKind.Node, default, Ct);

        await Assert.ThrowsAsync<RelayProtocolException>(() => accept);
        server.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => connect);
    }

    [Fact]
    public async Task ControlProtocolHandshake_IsNotARelayHandshake_EvenWithTheSameKey()
    {
        // A control-server handshake (same Noise pattern, its own 2-byte payload) sent to a relay that shares the key.
        var key = Curve25519.GeneratePrivateKey();
        var noise = NoiseIK.Initiator(Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(key));
        var body = noise.WriteMessage1([0, 1]);
        var (client, server) = DuplexStream.CreatePair();
        var frame = new byte[RelayConstants.FrameHeaderLength + body.Length];
        Frame.WriteHeader(frame, FrameType.ClientHello, body.Length);
        body.CopyTo(frame, RelayConstants.FrameHeaderLength);
        await client.WriteAsync(frame, Ct);

        var refused = await Assert.ThrowsAsync<RelayProtocolException>(() => RelayHandshake.AcceptAsync(server, PipeReader.Create(server), key, default, Ct));
        Assert.Contains("not the relay protocol", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeshPeers_WithTheSameMeshKey_Authenticate()
    {
        var meshKey = RelayHandshake.DeriveMeshKey("region secret"u8);
        var relay = Curve25519.GeneratePrivateKey();
        var (client, server) = DuplexStream.CreatePair();

        var accept = RelayHandshake.AcceptAsync(server, PipeReader.Create(server), relay, meshKey, Ct);
        var near = await RelayHandshake.ConnectAsync(client, PipeReader.Create(client), Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(relay), ClientKind.Mesh, meshKey, Ct);
        var far = await accept;

        Assert.Equal(ClientKind.Mesh, far.Kind);
        // The mesh proofs travelled sealed, one record each way; the link's frames go on from counter 1.
        Assert.Equal(1UL, near.Send.Counter);
        Assert.Equal(1UL, near.Receive.Counter);
        Assert.Equal(1UL, far.Send.Counter);
        Assert.Equal(1UL, far.Receive.Counter);
    }

    [Fact]
    public async Task MeshPeer_WithAnotherMeshKey_IsRefused()
    {
        var relay = Curve25519.GeneratePrivateKey();
        var (client, server) = DuplexStream.CreatePair();

        var accept = RelayHandshake.AcceptAsync(server, PipeReader.Create(server), relay, RelayHandshake.DeriveMeshKey("region secret"u8), Ct);
        var connect = RelayHandshake.ConnectAsync(client, PipeReader.Create(client), Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(relay),
            ClientKind.Mesh, RelayHandshake.DeriveMeshKey("another secret"u8), Ct);

        var refused = await Assert.ThrowsAsync<RelayProtocolException>(() => accept);
        Assert.Contains("mesh key", refused.Message, StringComparison.Ordinal);
        server.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => connect);
    }

    [Fact]
    public async Task MeshRequest_ToARelayWithoutMeshKey_IsRefused()
    {
        var relay = Curve25519.GeneratePrivateKey();
        var (client, server) = DuplexStream.CreatePair();

        var accept = RelayHandshake.AcceptAsync(server, PipeReader.Create(server), relay, default, Ct);
        _ = RelayHandshake.ConnectAsync(client, PipeReader.Create(client), Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(relay),
            ClientKind.Mesh, RelayHandshake.DeriveMeshKey("region secret"u8), Ct);

        await Assert.ThrowsAsync<RelayProtocolException>(() => accept);
        server.Dispose();
    }
}
