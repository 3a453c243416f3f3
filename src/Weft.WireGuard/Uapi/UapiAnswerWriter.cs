using System.Buffers;
using System.Text;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// Collects one answer in a pooled buffer so it goes out in one asynchronous write, and zeroes it after
/// (a get answer carries the private key).
/// </summary>
internal sealed class UapiAnswerWriter : TextWriter
{
    private char[] _chars = ArrayPool<char>.Shared.Rent(4096);
    private int _length;

    public override Encoding Encoding => Encoding.ASCII;

    public override void Write(char value)
    {
        Reserve(1);
        _chars[_length++] = value;
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Reserve(buffer.Length);
        buffer.CopyTo(_chars.AsSpan(_length));
        _length += buffer.Length;
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    /// <summary>Sends what was written and empties the buffer.</summary>
    public async ValueTask SendAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(_length);
        try
        {
            var count = Encoding.Latin1.GetBytes(_chars.AsSpan(0, _length), bytes);
            await stream.WriteAsync(bytes.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            bytes.AsSpan(0, _length).Clear();
            ArrayPool<byte>.Shared.Return(bytes);
            _chars.AsSpan(0, _length).Clear();
            _length = 0;
        }
    }

    private void Reserve(int more)
    {
        if (_length + more <= _chars.Length)
        {
            return;
        }
        var larger = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + more));
        _chars.AsSpan(0, _length).CopyTo(larger);
        _chars.AsSpan(0, _length).Clear();
        ArrayPool<char>.Shared.Return(_chars);
        _chars = larger;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _chars.Length > 0)
        {
            _chars.AsSpan(0, _length).Clear();
            ArrayPool<char>.Shared.Return(_chars);
            _chars = [];
            _length = 0;
        }
        base.Dispose(disposing);
    }
}
