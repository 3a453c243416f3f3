using System.IO.Pipelines;

namespace Weft.Relay.Tests.Protocol;

/// <summary>One end of an in-memory socket pair: reads what the other end writes.</summary>
internal sealed class DuplexStream(Stream input, Stream output) : Stream
{
    /// <summary>Two connected ends.</summary>
    public static (DuplexStream A, DuplexStream B) CreatePair()
    {
        var toB = new Pipe();
        var toA = new Pipe();
        return (new DuplexStream(toA.Reader.AsStream(), toB.Writer.AsStream()), new DuplexStream(toB.Reader.AsStream(), toA.Writer.AsStream()));
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => output.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            output.Dispose();
            input.Dispose();
        }

        base.Dispose(disposing);
    }
}
