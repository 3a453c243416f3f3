using System.Net.Sockets;
using System.Text;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>A raw UAPI client: sends request text and reads one answer through its "errno=N" and blank line.</summary>
internal sealed class UapiTestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private UapiTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.Latin1);
    }

    public static async Task<UapiTestClient> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
        return new UapiTestClient(socket);
    }

    /// <summary>Sends one request and returns its answer.</summary>
    public async Task<UapiAnswer> RequestAsync(string text)
    {
        await SendAsync(text);
        return await ReadAnswerAsync() ?? throw new InvalidOperationException("the server closed the connection without an answer");
    }

    public async Task SendAsync(string text)
    {
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(text), TestContext.Current.CancellationToken);
        await _stream.FlushAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Closes the sending side (the server then sees the end of input).</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads one answer, or null when the server closed the connection first.</summary>
    public async Task<UapiAnswer?> ReadAnswerAsync()
    {
        var lines = new List<string>();
        while (await _reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (line.StartsWith("errno=", StringComparison.Ordinal))
            {
                var blank = await _reader.ReadLineAsync(TestContext.Current.CancellationToken);
                Assert.Equal(string.Empty, blank);
                return new UapiAnswer(int.Parse(line["errno=".Length..], System.Globalization.CultureInfo.InvariantCulture), lines);
            }
            lines.Add(line);
        }
        return null;
    }

    /// <summary>True when the server has closed the connection (reads the end of the stream).</summary>
    public async Task<bool> IsClosedByServerAsync() => await _reader.ReadLineAsync(TestContext.Current.CancellationToken) is null;

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}

/// <summary>An answer: the key=value lines before the errno, and the errno.</summary>
internal sealed record UapiAnswer(int Errno, IReadOnlyList<string> Lines)
{
    public string? Value(string key)
    {
        foreach (var line in Lines)
        {
            if (line.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return line[(key.Length + 1)..];
            }
        }
        return null;
    }
}
