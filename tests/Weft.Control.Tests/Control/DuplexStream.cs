using System.IO.Pipelines;

namespace Weft.Control.Tests.Control;

/// <summary>An in-memory full-duplex byte stream: reads from one pipe, writes to another. <see cref="CreatePair"/> connects two ends.</summary>
internal sealed class DuplexStream(Stream input, Stream output) : Stream
{
    /// <summary>Two connected ends, like a socket pair.</summary>
    public static (DuplexStream A, DuplexStream B) CreatePair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new DuplexStream(ba.Reader.AsStream(), ab.Writer.AsStream()), new DuplexStream(ab.Reader.AsStream(), ba.Writer.AsStream()));
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
