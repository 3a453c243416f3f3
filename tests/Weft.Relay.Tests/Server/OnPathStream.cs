namespace Weft.Relay.Tests.Server;

/// <summary>
/// A client's end of an in-memory connection with an attacker on the path: on request it flips one bit of what
/// passes next (either way), sends the client's next write twice, or injects bytes of its own between writes.
/// </summary>
internal sealed class OnPathStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private int _flipNextWriteAt = -1;
    private int _flipNextReadAt = -1;
    private int _replayNextWrite;

    /// <summary>Bytes the client has written so far (after the handshake, all of them sealed frames).</summary>
    public long Written { get; private set; }

    /// <summary>Flips one bit of byte <paramref name="offset"/> of the client's next write (a write starts with a frame).</summary>
    public void FlipNextWrite(int offset) => Volatile.Write(ref _flipNextWriteAt, offset);

    /// <summary>Flips one bit of byte <paramref name="offset"/> of the next bytes the client reads.</summary>
    public void FlipNextRead(int offset) => Volatile.Write(ref _flipNextReadAt, offset);

    /// <summary>Delivers the client's next write, then the same bytes again.</summary>
    public void ReplayNextWrite() => Volatile.Write(ref _replayNextWrite, 1);

    /// <summary>Writes bytes of the attacker's own, between two writes of the client.</summary>
    public async Task InjectAsync(byte[] bytes, CancellationToken ct)
    {
        await _writing.WaitAsync(ct);
        try
        {
            await inner.WriteAsync(bytes, ct);
            await inner.FlushAsync(ct);
        }
        finally
        {
            _writing.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var flip = Interlocked.Exchange(ref _flipNextWriteAt, -1);
            if (flip >= 0)
            {
                var altered = buffer.ToArray();
                altered[flip] ^= 0x10;
                buffer = altered;
            }

            await inner.WriteAsync(buffer, cancellationToken);
            if (Interlocked.Exchange(ref _replayNextWrite, 0) == 1)
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }

            Written += buffer.Length;
        }
        finally
        {
            _writing.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        if (n > 0 && Interlocked.Exchange(ref _flipNextReadAt, -1) is var flip and >= 0)
        {
            Assert.True(flip < n, "the bit to flip is beyond the bytes read");
            buffer.Span[flip] ^= 0x10;
        }

        return n;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _writing.Dispose();
        }

        base.Dispose(disposing);
    }
}
