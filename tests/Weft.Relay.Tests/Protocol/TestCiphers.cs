using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;

namespace Weft.Relay.Tests.Protocol;

/// <summary>Frame ciphers from a real Noise IK exchange run in memory, for tests of sealing without a connection.</summary>
internal static class TestCiphers
{
    /// <summary>One direction: a sealer and the opener that matches it.</summary>
    public static (FrameSealer Sealer, FrameOpener Opener) Direction()
    {
        var relay = Curve25519.GeneratePrivateKey();
        var initiator = NoiseIK.Initiator(Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(relay));
        var responder = NoiseIK.Responder(relay);
        Assert.True(responder.TryReadMessage1(initiator.WriteMessage1([]), out _));
        Assert.True(initiator.TryReadMessage2(responder.WriteMessage2([]), out _));
        var (send, _) = initiator.Split();
        var (_, receive) = responder.Split();
        return (new FrameSealer(send), new FrameOpener(receive));
    }

    /// <summary>One frame sealed as a record of its own: what goes on the wire.</summary>
    public static byte[] Seal(FrameSealer sealer, FrameType type, ReadOnlySpan<byte> body) => SealRecord(sealer, Frame(type, body));

    /// <summary>Plaintext frames (whole or not) sealed as one record.</summary>
    public static byte[] SealRecord(FrameSealer sealer, params byte[][] frames)
    {
        var plaintext = frames.Sum(f => f.Length);
        var record = new byte[RelayConstants.RecordHeaderLength + plaintext + Aead.TagLength];
        var at = RelayConstants.RecordHeaderLength;
        foreach (var frame in frames)
        {
            frame.CopyTo(record, at);
            at += frame.Length;
        }

        Assert.Equal(record.Length, sealer.Seal(record, plaintext));
        return record;
    }

    /// <summary>A plaintext frame.</summary>
    public static byte[] Frame(FrameType type, ReadOnlySpan<byte> body)
    {
        var frame = new byte[RelayConstants.FrameHeaderLength + body.Length];
        Weft.Relay.Protocol.Frame.WriteHeader(frame, type, body.Length);
        body.CopyTo(frame.AsSpan(RelayConstants.FrameHeaderLength));
        return frame;
    }
}
