using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Client;
using Weft.Relay.Protocol;
using Weft.Relay.Server;
using Weft.Relay.Tests.Protocol;

namespace Weft.Relay.Tests.Server;

/// <summary>
/// A real <see cref="RelayServer"/> whose clients reach it through in-memory streams, each with an
/// <see cref="OnPathStream"/> in the middle, so a test can alter the bytes on the wire.
/// </summary>
internal sealed class InMemoryRelay : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];

    public RelayServer Server { get; } = new(Curve25519.GeneratePrivateKey(), new RelayServerOptions(), NullLogger.Instance);

    /// <summary>A started client whose every connection runs through a fresh on-path stream (the latest is in <paramref name="wire"/>).</summary>
    public TestNode Connect(out Wire wire) => Connect(out wire, Task.CompletedTask);

    /// <summary>As <see cref="Connect(out Wire)"/>, but every dial first waits for <paramref name="dialGate"/> (a relay that is slow to reach).</summary>
    public TestNode Connect(out Wire wire, Task dialGate)
    {
        var path = new Wire();
        wire = path;
        var options = new RelayClientOptions
        {
            Url = new Uri("http://relay.invalid"),
            RelayPublic = Server.PublicKey,
            FirstBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
            Dial = async (nodeKey, relayKey, ct) =>
            {
                await dialGate.WaitAsync(ct);
                var (client, server) = DuplexStream.CreatePair();
                var onPath = new OnPathStream(client);
                lock (_connections)
                {
                    _connections.Add(ServeAsync(server));
                }

                var transport = await RelayTransport.ConnectOverAsync(onPath, nodeKey, relayKey, ClientKind.Node, default, ct);
                path.Current = onPath;
                return transport;
            },
        };
        return TestNode.Start(options, PrivateKey.Generate());
    }

    private async Task ServeAsync(Stream server)
    {
        await using (server)
        {
            await Server.RunConnectionAsync(server, IPAddress.Loopback, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _stop.CancelAsync();
        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running);
        _stop.Dispose();
    }

    /// <summary>Where a client's current connection runs.</summary>
    public sealed class Wire
    {
        private volatile OnPathStream? _current;

        /// <summary>The on-path stream of the client's latest authenticated connection.</summary>
        public OnPathStream Current
        {
            get => _current ?? throw new InvalidOperationException("not connected yet");
            set => _current = value;
        }
    }
}
