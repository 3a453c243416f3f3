using System.Collections.Concurrent;
using Weft.Control.Tests.Fixtures;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Control.Tests.Server;

/// <summary>
/// A server on PostgreSQL stopped in the middle of concurrent registrations and started again: every answered
/// registration is there with its addresses, no address is held twice, nodes reconnect, one-off keys stay used.
/// (The SQLite server is killed with SIGKILL in the integration tests; here the stop is in-process.)
/// </summary>
public sealed class PostgresRestartTests(PostgresServer postgres) : IAsyncLifetime
{
    private const int Registrations = 60;
    private const int InFlight = 12;
    private const int StopAfterAnswers = 20;
    private const int OneOffKeys = 8;

    private string? _database;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await postgres.DropDatabaseAsync(_database);
        }
    }

    [Fact]
    public async Task StopDuringConcurrentRegistrations_KeepsEveryAnsweredOne()
    {
        var ct = TestContext.Current.CancellationToken;
        _database = await postgres.CreateDatabaseAsync(ct);
        void Configure(Weft.Control.Hosting.ControlServerOptions o)
        {
            o.Postgres = _database;
            o.RegisterBurst = 100_000;
            o.RegisterPerMinute = 100_000;
        }

        var s = await TestControlServer.StartAsync(ct, Configure);
        try
        {
            var reusable = await s.AuthKeyAsync(ct);
            var oneOff = new List<string>();
            for (var i = 0; i < OneOffKeys; i++)
            {
                oneOff.Add(await s.AuthKeyAsync(ct, reusable: false));
            }

            var url = s.Server.Address;
            var serverKey = await ControlClient.FetchServerKeyAsync(s.Http, url, ct);
            var answered = new ConcurrentBag<(Key32 Machine, string NodeKey, string? OneOff)>();
            var answers = 0;
            var stopNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var gate = new SemaphoreSlim(InFlight);

            async Task RegisterOneAsync(int i)
            {
                await gate.WaitAsync(ct);
                try
                {
                    var machine = Curve25519.GeneratePrivateKey();
                    var nodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString();
                    var key = i < OneOffKeys ? oneOff[i] : reusable;
                    await using var client = await ControlClient.ConnectAsync(url, machine, serverKey, ct);
                    var reply = await client.RegisterAsync(new RegisterRequest { NodeKey = nodeKey, AuthKey = key, HostInfo = new HostInfo { Hostname = $"n{i}" } }, ct);
                    if (reply.Authorized)
                    {
                        answered.Add((machine, nodeKey, i < OneOffKeys ? key : null));
                        if (Interlocked.Increment(ref answers) == StopAfterAnswers)
                        {
                            stopNow.TrySetResult();
                        }
                    }
                }
                catch (Exception e) when (e is IOException or HttpRequestException or System.Net.WebSockets.WebSocketException or InvalidOperationException or ObjectDisposedException)
                {
                    // The server went away under this registration; whether it was committed is what the checks below look at.
                }
                finally
                {
                    gate.Release();
                }
            }

            var work = Enumerable.Range(0, Registrations).Select(i => Task.Run(() => RegisterOneAsync(i), ct)).ToList();
            await stopNow.Task.WaitAsync(ct);
            s = await s.RestartAsync(ct, Configure);
            await Task.WhenAll(work);

            var nodes = await s.Store.ListNodesAsync(null, ct);
            Assert.Equal(nodes.Count, nodes.Select(n => n.IPv4).Distinct().Count());
            Assert.Equal(nodes.Count, nodes.Select(n => n.IPv6).Distinct().Count());
            var byKey = nodes.ToDictionary(n => n.NodeKey);
            var newServerKey = await ControlClient.FetchServerKeyAsync(s.Http, s.Server.Address, ct);
            foreach (var (machine, nodeKey, key) in answered)
            {
                Assert.True(byKey.ContainsKey(nodeKey), $"answered registration {nodeKey} is gone");
                await using var client = await ControlClient.ConnectAsync(s.Server.Address, machine, newServerKey, ct);
                Assert.True((await client.RegisterAsync(new RegisterRequest { NodeKey = nodeKey }, ct)).Authorized);
                await client.SendMapRequestAsync(new MapRequest { NodeKey = nodeKey, Stream = true }, ct);
                Assert.Equal(byKey[nodeKey].Id, (await client.ReceiveMapAsync(ct))!.Self!.Id);
                if (key is not null)
                {
                    await using var other = await ControlClient.ConnectAsync(s.Server.Address, Curve25519.GeneratePrivateKey(), newServerKey, ct);
                    var reuse = await other.RegisterAsync(new RegisterRequest { NodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString(), AuthKey = key }, ct);
                    Assert.Equal("auth key already used", reuse.Error);
                }
            }
        }
        finally
        {
            await s.DisposeAsync();
        }
    }
}
