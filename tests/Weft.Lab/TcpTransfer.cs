using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Weft.Lab;

/// <summary>What one <see cref="TcpTransfer"/> moved: byte counts and SHA-256 digests of both ends.</summary>
public sealed record TcpTransferResult(long SentBytes, long ReceivedBytes, string SentSha256, string ReceivedSha256);

/// <summary>
/// Sends an exact number of pseudo-random bytes over one TCP connection between two namespaces and
/// hashes both ends, proving every byte arrived intact (iperf3's own counts race its control channel).
/// </summary>
public static class TcpTransfer
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>Moves <paramref name="bytes"/> bytes from <paramref name="sender"/> to <paramref name="listenAddress"/>:<paramref name="port"/> in <paramref name="receiver"/>.</summary>
    public static async Task<TcpTransferResult> RunAsync(LabNamespace sender, LabNamespace receiver, IPAddress listenAddress, int port, long bytes, TimeSpan hangGuard)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(listenAddress);
        using var timer = new CancellationTokenSource(hangGuard);
        using var listener = receiver.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(listenAddress, port));
        listener.Listen(1);
        using var client = sender.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(listenAddress.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        var accepting = listener.AcceptAsync(timer.Token).AsTask();
        try
        {
            await client.ConnectAsync(new IPEndPoint(listenAddress, port), timer.Token).ConfigureAwait(false);
            using var server = await accepting.ConfigureAwait(false);
            var receiving = ReceiveAllAsync(server, timer.Token);
            var sent = await SendAsync(client, bytes, timer.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
            var (receivedBytes, receivedHash) = await receiving.ConfigureAwait(false);
            return new TcpTransferResult(bytes, receivedBytes, sent, receivedHash);
        }
        catch (OperationCanceledException e)
        {
            throw new LabException($"TCP transfer of {bytes} bytes from {sender} to {listenAddress}:{port} in {receiver} did not finish within {hangGuard.TotalSeconds} s", e);
        }
    }

    private static async Task<string> SendAsync(Socket socket, long bytes, CancellationToken cancel)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[ChunkSize];
        var random = new Random(20_240_601);
        for (var left = bytes; left > 0;)
        {
            var length = (int)Math.Min(left, chunk.Length);
            random.NextBytes(chunk.AsSpan(0, length));
            hash.AppendData(chunk, 0, length);
            var offset = 0;
            while (offset < length)
            {
                offset += await socket.SendAsync(chunk.AsMemory(offset, length - offset), SocketFlags.None, cancel).ConfigureAwait(false);
            }
            left -= length;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task<(long Bytes, string Sha256)> ReceiveAllAsync(Socket socket, CancellationToken cancel)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        long total = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel).ConfigureAwait(false);
            if (n == 0)
            {
                return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
            hash.AppendData(buffer, 0, n);
            total += n;
        }
    }
}
