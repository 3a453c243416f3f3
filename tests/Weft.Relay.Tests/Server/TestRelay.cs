using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Keys;
using Weft.Relay.Client;
using Weft.Relay.Hosting;
using Weft.Relay.Server;

namespace Weft.Relay.Tests.Server;

/// <summary>A real relay on a loopback port (Kestrel, port 0), with no STUN responder, for end-to-end tests.</summary>
internal sealed class TestRelay : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    private TestRelay(RelayHost host) => Host = host;

    public RelayHost Host { get; }

    public RelayServer Server => Host.Relay.Server;

    public Uri Url => Host.Address;

    public static async Task<TestRelay> StartAsync(Action<RelayHostOptions>? configure = null, string? dataDir = null)
    {
        var dir = new TempDir();
        var options = new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dataDir ?? dir.Path, StunPort = null };
        configure?.Invoke(options);
        var host = await RelayHost.StartAsync(options, ct: TestContext.Current.CancellationToken);
        return new TestRelay(host);
    }

    /// <summary>A started client with a fresh node key that collects what it receives.</summary>
    public TestNode Connect() => TestNode.Start(Url, Server.PublicKey);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>A node's relay client plus a channel of every packet it received.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private TestNode(RelayClient client, PrivateKey key, System.Threading.Channels.Channel<(NodePublic, byte[])> received, System.Collections.Concurrent.ConcurrentQueue<byte[]> history)
    {
        Client = client;
        Key = new NodePublic(key.PublicKey());
        Received = received;
        History = history;
    }

    /// <summary>Every packet received, in order, whether or not a test has read it from <see cref="Received"/>.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<byte[]> History { get; }

    public RelayClient Client { get; }

    public NodePublic Key { get; }

    public System.Threading.Channels.Channel<(NodePublic Source, byte[] Packet)> Received { get; }

    public static TestNode Start(Uri url, Weft.Core.Crypto.Key32? relayKey, PrivateKey? key = null) =>
        Start(new RelayClientOptions { Url = url, RelayPublic = relayKey, FirstBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(500) }, key ?? PrivateKey.Generate());

    public static TestNode Start(RelayClientOptions options, PrivateKey nodeKey)
    {
        var received = System.Threading.Channels.Channel.CreateUnbounded<(NodePublic, byte[])>();
        var client = new RelayClient(options, nodeKey, NullLogger.Instance);
        var history = new System.Collections.Concurrent.ConcurrentQueue<byte[]>();
        client.Start((source, packet) =>
        {
            var copy = packet.ToArray();
            history.Enqueue(copy);
            received.Writer.TryWrite((source, copy));
        });
        return new TestNode(client, nodeKey, received, history);
    }

    /// <summary>The next packet received, within a hang guard.</summary>
    public async Task<(NodePublic Source, byte[] Packet)> NextAsync()
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(30));
        return await Received.Reader.ReadAsync(guard.Token);
    }

    /// <summary>Sends <paramref name="packet"/> until <paramref name="to"/> receives it (a send before the peer registered is dropped, like any relay packet).</summary>
    public async Task DeliverAsync(TestNode to, byte[] packet)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            Client.TrySend(to.Key, packet);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(guard.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(100));
            try
            {
                while (true)
                {
                    var (source, got) = await to.Received.Reader.ReadAsync(wait.Token);
                    if (source == Key && got.AsSpan().SequenceEqual(packet))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (!guard.IsCancellationRequested)
            {
                // Not there yet (the peer may still be registering): send again.
            }
        }
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}

/// <summary>Polls a condition with a hang guard (for counters that move as a side effect, where no event exists).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
