using System.Buffers;
using System.Buffers.Binary;

namespace Weft.Relay.Protocol;

/// <summary>
/// The relay's frame layout: [type u8][body length u32 big-endian][body]. Parsing never throws on hostile
/// bytes; it reports <see cref="FrameParse"/> so the caller can count the fault and close.
/// </summary>
public static class Frame
{
    /// <summary>Writes a frame header into the first five bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, int bodyLength)
    {
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)bodyLength);
    }

    /// <summary>Reads a frame header from the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Bytes received so far.</param>
    /// <param name="maxBody">The largest body this state of the connection accepts.</param>
    /// <param name="type">The frame type byte (any value; unknown types are the caller's to skip or refuse).</param>
    /// <param name="bodyLength">The body length, valid when the result is <see cref="FrameParse.Complete"/> or <see cref="FrameParse.NeedMore"/> with a whole header.</param>
    public static FrameParse TryReadHeader(in ReadOnlySequence<byte> buffer, int maxBody, out FrameType type, out int bodyLength)
    {
        type = default;
        bodyLength = 0;
        if (buffer.Length < RelayConstants.FrameHeaderLength)
        {
            return FrameParse.NeedMore;
        }

        Span<byte> header = stackalloc byte[RelayConstants.FrameHeaderLength];
        buffer.Slice(0, RelayConstants.FrameHeaderLength).CopyTo(header);
        return TryReadHeader(header, buffer.Length, maxBody, out type, out bodyLength);
    }

    /// <summary>The span form of <see cref="TryReadHeader(in ReadOnlySequence{byte}, int, out FrameType, out int)"/>.</summary>
    public static FrameParse TryReadHeader(ReadOnlySpan<byte> buffer, int maxBody, out FrameType type, out int bodyLength) =>
        TryReadHeader(buffer, buffer.Length, maxBody, out type, out bodyLength);

    private static FrameParse TryReadHeader(ReadOnlySpan<byte> header, long available, int maxBody, out FrameType type, out int bodyLength)
    {
        type = default;
        bodyLength = 0;
        if (header.Length < RelayConstants.FrameHeaderLength)
        {
            return FrameParse.NeedMore;
        }

        type = (FrameType)header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        // Checked before waiting for or buffering the body: a hostile length must not make us reserve memory.
        if (length > (uint)maxBody)
        {
            return FrameParse.TooLarge;
        }

        bodyLength = (int)length;
        return available - RelayConstants.FrameHeaderLength >= bodyLength ? FrameParse.Complete : FrameParse.NeedMore;
    }

    /// <summary>The smallest and largest body each known frame type may have; false for an unknown type.</summary>
    public static bool TryGetBodyBounds(FrameType type, out int min, out int max)
    {
        (min, max) = type switch
        {
            FrameType.ClientHello or FrameType.ServerHello => (1, RelayConstants.MaxHandshakeBody),
            FrameType.SendPacket or FrameType.RecvPacket => (32, 32 + RelayConstants.MaxPacketLength),
            FrameType.KeepAlive => (0, 0),
            FrameType.PeerGone => (33, 33),
            FrameType.Notice => (1, 1024),
            FrameType.MeshHello => (32, 32),
            FrameType.PeerPresent => (32, 32),
            FrameType.ForwardPacket => (64, 64 + RelayConstants.MaxPacketLength),
            FrameType.Ping or FrameType.Pong => (8, 8),
            _ => (-1, -1),
        };
        return min >= 0;
    }

    /// <summary>True when <paramref name="bodyLength"/> is legal for <paramref name="type"/>.</summary>
    public static bool IsValidBody(FrameType type, int bodyLength) =>
        TryGetBodyBounds(type, out var min, out var max) && bodyLength >= min && bodyLength <= max;
}

/// <summary>The result of reading a frame header.</summary>
public enum FrameParse
{
    /// <summary>The header and the whole body are available.</summary>
    Complete,

    /// <summary>More bytes must arrive first.</summary>
    NeedMore,

    /// <summary>The declared body is larger than allowed: the connection is broken.</summary>
    TooLarge,
}
