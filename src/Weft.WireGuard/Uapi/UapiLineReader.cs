using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Weft.WireGuard.Uapi;

/// <summary>What <see cref="UapiLineReader.ReadLineAsync"/> found.</summary>
internal enum UapiLineStatus
{
    /// <summary>A line is in <see cref="UapiLineReader.Line"/>.</summary>
    Line,

    /// <summary>The client closed its side and every line has been read.</summary>
    End,

    /// <summary>A line is longer than <see cref="UapiConstants.MaxLineLength"/>; the connection cannot be resynchronised.</summary>
    TooLong,
}

/// <summary>
/// Splits a connection's bytes into lines of bounded length without a string per line: keys arrive as
/// text, so the buffers are pooled and zeroed when the connection ends.
/// </summary>
internal sealed class UapiLineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _bytes = ArrayPool<byte>.Shared.Rent(UapiConstants.MaxLineLength + 1);
    private readonly char[] _chars = ArrayPool<char>.Shared.Rent(UapiConstants.MaxLineLength + 1);
    private int _start;
    private int _end;
    private int _lineLength;
    private bool _endOfStream;

    public UapiLineReader(Stream stream) => _stream = stream;

    /// <summary>The last line read, without its '\n' (and without a '\r' before it); valid until the next read.</summary>
    public ReadOnlySpan<char> Line => _chars.AsSpan(0, _lineLength);

    /// <summary>Reads the next line; a final line without '\n' counts as a line.</summary>
    public async ValueTask<UapiLineStatus> ReadLineAsync(CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var newline = _bytes.AsSpan(_start + searched, _end - _start - searched).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = searched + newline;
                if (length > UapiConstants.MaxLineLength)
                {
                    return UapiLineStatus.TooLong;
                }
                TakeLine(length);
                _start += length + 1;
                return UapiLineStatus.Line;
            }
            searched = _end - _start;
            if (_endOfStream)
            {
                if (searched == 0)
                {
                    return UapiLineStatus.End;
                }
                TakeLine(searched);
                _start = _end;
                return UapiLineStatus.Line;
            }
            if (searched > UapiConstants.MaxLineLength)
            {
                return UapiLineStatus.TooLong;
            }
            if (_end == _bytes.Length)
            {
                // Slide the partial line to the front; what is dropped has been consumed.
                _bytes.AsSpan(_start, searched).CopyTo(_bytes);
                _bytes.AsSpan(searched, _end - searched).Clear();
                _start = 0;
                _end = searched;
            }
            var read = await _stream.ReadAsync(_bytes.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _endOfStream = true;
            }
            _end += read;
        }
    }

    private void TakeLine(int length)
    {
        var line = _bytes.AsSpan(_start, length);
        if (line.EndsWith((byte)'\r'))
        {
            line = line[..^1];
        }
        // Latin-1 maps every byte to one char, so nothing is lost and nothing can fail; non-ASCII text
        // then fails as an unknown key or value.
        _lineLength = Encoding.Latin1.GetChars(line, _chars);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        _chars.AsSpan().Clear();
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<char>.Shared.Return(_chars);
    }
}
