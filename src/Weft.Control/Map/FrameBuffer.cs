using System.Buffers;

namespace Weft.Control.Map;

/// <summary>
/// The buffer one outgoing frame is written into, handed back when the frame is sent. Small frames (deltas)
/// use pooled arrays; a frame beyond <see cref="PooledLimit"/> (a full map of a big tailnet) gets an array of
/// its own that the GC reclaims. Pooled, such arrays stayed in the shared pool after a burst of joins: one per
/// joining connection and thread, several MiB each, which was most of the server's memory after the joins.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>, IDisposable
{
    /// <summary>Largest array taken from the shared pool.</summary>
    public const int PooledLimit = 1 << 20;

    private byte[] _buffer;
    private int _written;

    /// <param name="sizeHint">The size the frame probably has; the buffer grows beyond it if needed.</param>
    public FrameBuffer(int sizeHint = 4096) => _buffer = Take(Math.Max(sizeHint, 256));

    /// <summary>What was written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("advanced past the end of the frame buffer");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        Give(_buffer);
        _buffer = [];
        _written = 0;
    }

    private void Ensure(int sizeHint)
    {
        var need = _written + Math.Max(sizeHint, 1);
        if (need <= _buffer.Length)
        {
            return;
        }

        var bigger = Take((int)Math.Min(Math.Max((long)_buffer.Length * 2, need), Array.MaxLength));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        Give(_buffer);
        _buffer = bigger;
    }

    private static byte[] Take(int size) => size <= PooledLimit ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Give(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= PooledLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
