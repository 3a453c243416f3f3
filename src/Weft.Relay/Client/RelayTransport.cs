using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;

namespace Weft.Relay.Client;

/// <summary>
/// One authenticated connection to a relay from the client side: TCP (TLS for https URLs), the HTTP/1.1 Upgrade to
/// the relay protocol, then the handshake, whose transport keys seal every later frame both ways. Used by nodes
/// (<see cref="RelayClient"/>) and by mesh links between relays.
/// </summary>
internal sealed class RelayTransport : IAsyncDisposable
{
    // Our choice: an upgrade response is a status line and a few headers; anything longer is not a relay.
    private const int MaxResponseHeader = 8192;

    private static readonly HttpClient KeyClient = new() { Timeout = TimeSpan.FromSeconds(10) };

    private RelayTransport(Stream stream, PipeReader reader, RelaySession session)
    {
        Stream = stream;
        Reader = reader;
        Sealer = new FrameSealer(session.Send);
        Opener = new FrameOpener(session.Receive);
    }

    /// <summary>The byte stream after the upgrade (frames are written here).</summary>
    public Stream Stream { get; }

    /// <summary>Reads frames from <see cref="Stream"/>.</summary>
    public PipeReader Reader { get; }

    /// <summary>Seals what this side sends (used by its one writer).</summary>
    public FrameSealer Sealer { get; }

    /// <summary>Opens what this side receives (used by its one reader).</summary>
    public FrameOpener Opener { get; }

    /// <summary>Dials <paramref name="url"/> (http or https), upgrades, and authenticates.</summary>
    /// <exception cref="RelayProtocolException">The server is not a relay, refused the upgrade, or failed the handshake.</exception>
    public static async Task<RelayTransport> ConnectAsync(Uri url, Key32 clientPrivate, Key32 relayPublic, ClientKind kind, ReadOnlyMemory<byte> meshKey,
        RemoteCertificateValidationCallback? certificateValidation, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        PipeReader? reader = null;
        // A server that accepts TCP and then says nothing must not hold a reconnect loop forever.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(RelayConstants.HandshakeTimeout + RelayConstants.HandshakeTimeout);
        var outer = ct;
        ct = deadline.Token;
        try
        {
            // DnsSafeHost drops the brackets of an IPv6 literal.
            await socket.ConnectAsync(url.DnsSafeHost, url.Port, ct).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (url.Scheme == Uri.UriSchemeHttps)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, certificateValidation);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = url.IdnHost,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, ct).ConfigureAwait(false);
            }

            var request = $"GET {RelayConstants.Path} HTTP/1.1\r\nHost: {url.Authority}\r\nConnection: Upgrade\r\nUpgrade: {RelayConstants.UpgradeToken}\r\nUser-Agent: weft\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
            reader = CreateReader(stream);
            await ReadUpgradeResponseAsync(reader, ct).ConfigureAwait(false);
            var session = await RelayHandshake.ConnectAsync(stream, reader, clientPrivate, relayPublic, kind, meshKey, ct).ConfigureAwait(false);
            return new RelayTransport(stream, reader, session);
        }
        catch (Exception ex)
        {
            if (reader is not null)
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }

            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            if (ex is OperationCanceledException && !outer.IsCancellationRequested)
            {
                throw new RelayProtocolException($"no relay handshake with {url} within {(RelayConstants.HandshakeTimeout * 2).TotalSeconds:0} s");
            }

            throw;
        }
    }

    /// <summary>Authenticates over <paramref name="stream"/>, which already carries the relay protocol (the upgrade is done or not needed, as in memory).</summary>
    /// <exception cref="RelayProtocolException">The handshake failed.</exception>
    public static async Task<RelayTransport> ConnectOverAsync(Stream stream, Key32 clientPrivate, Key32 relayPublic, ClientKind kind, ReadOnlyMemory<byte> meshKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = CreateReader(stream);
        try
        {
            var session = await RelayHandshake.ConnectAsync(stream, reader, clientPrivate, relayPublic, kind, meshKey, ct).ConfigureAwait(false);
            return new RelayTransport(stream, reader, session);
        }
        catch
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Fetches the relay's public key from its key endpoint (for when no relay map supplied it).</summary>
    /// <exception cref="RelayProtocolException">The answer is not a key.</exception>
    public static async Task<Key32> FetchKeyAsync(Uri url, CancellationToken ct)
    {
        var text = await KeyClient.GetStringAsync(new Uri(url, RelayConstants.KeyPath), ct).ConfigureAwait(false);
        return Key32.TryParseHex(text.Trim(), out var key)
            ? key
            : throw new RelayProtocolException($"{url} did not answer {RelayConstants.KeyPath} with a relay key");
    }

    private static PipeReader CreateReader(Stream stream) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 << 10, minimumReadSize: 16 << 10, leaveOpen: true));

    private static async Task ReadUpgradeResponseAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var end = FindHeaderEnd(buffer);
            if (end >= 0)
            {
                var header = Encoding.ASCII.GetString(buffer.Slice(0, end));
                reader.AdvanceTo(buffer.GetPosition(end + 4));
                var statusLine = header.Split("\r\n", 2)[0];
                if (statusLine.StartsWith("HTTP/1.1 404", StringComparison.Ordinal))
                {
                    throw new RelayProtocolException($"the server has no {RelayConstants.Path}: not a Weft relay, or one too old to speak {RelayConstants.UpgradeToken} ({statusLine})");
                }

                if (!statusLine.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
                {
                    throw new RelayProtocolException($"relay refused the upgrade: {statusLine}");
                }

                return;
            }

            if (buffer.Length > MaxResponseHeader || result.IsCompleted)
            {
                throw new RelayProtocolException("the server did not answer the relay upgrade with HTTP");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static int FindHeaderEnd(in System.Buffers.ReadOnlySequence<byte> buffer)
    {
        var reader = new System.Buffers.SequenceReader<byte>(buffer);
        return reader.TryReadTo(out System.Buffers.ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: false) ? (int)head.Length : -1;
    }

    public async ValueTask DisposeAsync()
    {
        await Reader.CompleteAsync().ConfigureAwait(false);
        await Stream.DisposeAsync().ConfigureAwait(false);
    }
}
