using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Node.ControlLoop;

namespace Weft.Node.Tests.ControlLoop;

/// <summary>The control loop against a fake coordination server on loopback.</summary>
public sealed class ControlLoopTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    private readonly PrivateKey _machine = PrivateKey.Generate();
    private readonly PrivateKey _node = PrivateKey.Generate();
    private readonly RecordingHost _host = new();
    private readonly HttpClient _http = new();
    private readonly CancellationTokenSource _stop = new();
    private FakeControlServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FakeControlServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _server.DisposeAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    private Task RunLoop(Func<ControlLoopOptions, ControlLoopOptions>? adjust = null) => RunLoop(out _, adjust);

    private Task RunLoop(out Weft.Node.ControlLoop.ControlLoop started, Func<ControlLoopOptions, ControlLoopOptions>? adjust = null)
    {
        var options = new ControlLoopOptions
        {
            Server = _server.Url,
            MachineKey = _machine,
            NodeKey = _node,
            BackoffInitial = TimeSpan.FromMilliseconds(20),
            BackoffMaximum = TimeSpan.FromMilliseconds(100),
        };
        var loop = new Weft.Node.ControlLoop.ControlLoop(adjust?.Invoke(options) ?? options, _host, _http, TimeProvider.System, NullLogger.Instance);
        started = loop;
        return Task.Run(() => loop.RunAsync(_stop.Token));
    }

    [Fact]
    public async Task AuthKey_Registers_PinsTheServerKey_AndStreamsFullMapThenDeltas()
    {
        var full = TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2));
        var delta = new MapResponse { PeersRemoved = [2] };
        await _server.Maps.Writer.WriteAsync(full, TestContext.Current.CancellationToken);
        await _server.Maps.Writer.WriteAsync(delta, TestContext.Current.CancellationToken);

        _ = RunLoop(o => o with { AuthKey = "weft-auth-good" });
        var maps = await _host.Maps.Take(2, Guard);
        var (first, second) = (maps[0], maps[1]);

        Assert.Equal(full.Self!.Name, first.Message.Self!.Name);
        Assert.True(first.First);
        Assert.False(second.First);
        Assert.Equal([2L], second.Message.PeersRemoved);
        var registration = Assert.Single(_server.Registrations);
        Assert.Equal("weft-auth-good", registration.AuthKey);
        Assert.Equal(new NodePublic(_node.PublicKey()).ToString(), registration.NodeKey);
        Assert.Equal(_server.PublicKey.ToHex(), _host.PinnedKey);
        Assert.Equal("alice@example.com", (await _host.RegisteredWith.Task.WaitAsync(Guard, TestContext.Current.CancellationToken)).Response.Login);
        var stream = Assert.Single(_server.MapRequests);
        Assert.True(stream.Stream);
        Assert.Equal(["192.0.2.1:41641"], stream.Endpoints);
        Assert.Equal("test-host", stream.HostInfo?.Hostname);
    }

    [Fact]
    public async Task AdvertisedTagsInPrefs_AreRequestedAtRegistrationAndInHostInfoUpdates()
    {
        // The daemon builds the loop's host info from the current profile's prefs (`weft up --advertise-tags`).
        _host.HostInfo = Weft.Node.Daemon.HostInfoFor(new Weft.Node.State.NodePrefs { Hostname = "tagged", AdvertiseTags = ["tag:web", "tag:db"] });
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1)), TestContext.Current.CancellationToken);

        _ = RunLoop(o => o with { AuthKey = "weft-auth-good" });
        var stream = await _server.WaitForMapRequestAsync(m => m.Stream, Guard);

        var registration = Assert.Single(_server.Registrations);
        Assert.Equal(["tag:web", "tag:db"], registration.HostInfo.RequestTags);
        Assert.Equal("tagged", registration.HostInfo.Hostname);
        Assert.Equal(["tag:web", "tag:db"], stream.HostInfo?.RequestTags);
    }

    [Fact]
    public async Task InteractiveLogin_ReportsTheUrl_ThenWaitsForApproval()
    {
        var approve = new TaskCompletionSource();
        _server.OnRegister = request =>
        {
            if (request.Followup is null)
            {
                return new RegisterResponse { AuthUrl = "http://control/register/abc" };
            }
            approve.Task.Wait(Guard);
            return new RegisterResponse { Authorized = true, Login = "bob@example.com" };
        };

        _ = RunLoop();
        Assert.Equal("http://control/register/abc", await _host.AuthUrl.Task.WaitAsync(Guard, TestContext.Current.CancellationToken));
        Assert.False(_host.RegisteredWith.Task.IsCompleted);
        approve.SetResult();

        Assert.Equal("bob@example.com", (await _host.RegisteredWith.Task.WaitAsync(Guard, TestContext.Current.CancellationToken)).Response.Login);
        Assert.Equal("http://control/register/abc", _server.Registrations.Last().Followup);
    }

    [Fact]
    public async Task RefusedAuthKey_StopsTheLoop_AndSaysWhy()
    {
        _server.OnRegister = _ => new RegisterResponse { Error = "auth key expired" };

        var loop = RunLoop(o => o with { AuthKey = "weft-auth-old" });

        await loop.WaitAsync(Guard, TestContext.Current.CancellationToken);
        Assert.Equal("auth key expired", await _host.Refused.Task.WaitAsync(Guard, TestContext.Current.CancellationToken));
        Assert.Empty(_server.MapRequests);
    }

    [Fact]
    public async Task StreamEnd_Reconnects_WithoutRegisteringAgain()
    {
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1)), TestContext.Current.CancellationToken);
        await _server.Maps.Writer.WriteAsync(null, TestContext.Current.CancellationToken);
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)), TestContext.Current.CancellationToken);

        _ = RunLoop(o => o with { Registered = true, ServerKeyHex = _server.PublicKey.ToHex() });
        var maps = await _host.Maps.Take(2, Guard);

        Assert.All(maps, m => Assert.True(m.First));
        Assert.Equal(2, _server.Connections);
        Assert.Empty(_server.Registrations);
        Assert.Contains(false, _host.Connected);
    }

    [Fact]
    public async Task UnknownNodeKey_MarksTheRegistrationLost_AndRegistersAgain()
    {
        _server.MapError = "unknown node key";
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1)), TestContext.Current.CancellationToken);

        _ = RunLoop(o => o with { Registered = true, ServerKeyHex = _server.PublicKey.ToHex() });
        await _host.Maps.Take(1, Guard);

        Assert.Equal("unknown node key", await _host.Lost.Task.WaitAsync(Guard, TestContext.Current.CancellationToken));
        Assert.Single(_server.Registrations);
    }

    [Fact]
    public async Task KeyPastTwoThirdsOfItsLife_IsRotated_KeepingTheOldKeyInTheRequest()
    {
        var now = DateTimeOffset.UtcNow;
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1)), TestContext.Current.CancellationToken);

        _ = RunLoop(o => o with
        {
            Registered = true,
            ServerKeyHex = _server.PublicKey.ToHex(),
            KeyIssued = now.AddDays(-130),
            KeyExpiry = now.AddDays(50),
        });
        var (key, _) = await _host.RegisteredWith.Task.WaitAsync(Guard, TestContext.Current.CancellationToken);

        var registration = Assert.Single(_server.Registrations);
        Assert.Equal(new NodePublic(_node.PublicKey()).ToString(), registration.OldNodeKey);
        Assert.Equal(new NodePublic(key.PublicKey()).ToString(), registration.NodeKey);
        Assert.NotEqual(_node.PublicKey(), key.PublicKey());
        Assert.Null(registration.AuthKey);
        await _host.Maps.Take(1, Guard);
        Assert.Equal(registration.NodeKey, _server.MapRequests.Single().NodeKey);
    }

    [Fact]
    public async Task ReportSoon_SendsNewEndpointsAndNetInfo_AtOnce_AndTheDiscoKeyOpensTheStream()
    {
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1)), TestContext.Current.CancellationToken);
        _host.Disco = "disco-key-text";
        // A recheck interval no test waits out: only the nudge can make the report.
        _ = RunLoop(out var loop, o => o with { Registered = true, ServerKeyHex = _server.PublicKey.ToHex(), EndpointRecheck = TimeSpan.FromHours(1) });
        await _host.Maps.Take(1, Guard);
        var opening = await _server.WaitForMapRequestAsync(r => r.Stream, Guard);
        Assert.Equal("disco-key-text", opening.DiscoKey);

        _host.CurrentEndpoints = ["203.0.113.9:40000", "192.0.2.1:41641"];
        _host.HostInfo = _host.HostInfo with { NetInfo = new NetInfo { HomeRelay = "lab", UdpWorks = true } };
        loop.ReportSoon();
        var update = await _server.WaitForMapRequestAsync(r => !r.Stream, Guard);

        Assert.Equal(["203.0.113.9:40000", "192.0.2.1:41641"], update.Endpoints);
        Assert.Equal("lab", update.HostInfo?.NetInfo?.HomeRelay);
    }

    [Fact]
    public async Task EndpointChange_IsReportedOnTheRunningStream()
    {
        await _server.Maps.Writer.WriteAsync(TestNodes.Full(TestNodes.Make(1)), TestContext.Current.CancellationToken);
        _ = RunLoop(o => o with { Registered = true, ServerKeyHex = _server.PublicKey.ToHex(), EndpointRecheck = TimeSpan.FromMilliseconds(20) });
        await _host.Maps.Take(1, Guard);

        _host.CurrentEndpoints = ["192.0.2.1:41641", "198.51.100.7:41641"];
        var update = await _server.WaitForMapRequestAsync(r => !r.Stream, Guard);

        Assert.Equal(["192.0.2.1:41641", "198.51.100.7:41641"], update.Endpoints);
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task WrongPinnedServerKey_NeverConnects_AndKeepsRetrying()
    {
        _ = RunLoop(o => o with { Registered = true, ServerKeyHex = new string('7', 64) });

        await _host.WaitForFailuresAsync(3, Guard);

        Assert.Empty(_server.Registrations);
        Assert.Empty(_server.MapRequests);
    }

    /// <summary>Records every callback; tasks complete on the first of each kind.</summary>
    private sealed class RecordingHost : IControlLoopHost
    {
        private int _failures;
        private readonly SemaphoreSlim _failureSignal = new(0);

        public string? PinnedKey { get; private set; }

        public TaskCompletionSource<string> AuthUrl { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<(PrivateKey Key, RegisterResponse Response)> RegisteredWith { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Refused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public MapLog Maps { get; } = new();

        public ConcurrentQueue<bool> Connected { get; } = new();

        public HostInfo HostInfo { get; set; } = new() { Hostname = "test-host", OS = "linux" };

        public IReadOnlyList<string> CurrentEndpoints { get; set; } = ["192.0.2.1:41641"];

        public IReadOnlyList<string> Endpoints => CurrentEndpoints;

        public string? Disco { get; set; }

        public string? DiscoKey => Disco;

        public void ServerKeyPinned(string serverKeyHex) => PinnedKey = serverKeyHex;

        public void AuthUrlReceived(string url) => AuthUrl.TrySetResult(url);

        public void Registered(PrivateKey nodeKey, RegisterResponse response) => RegisteredWith.TrySetResult((nodeKey, response));

        public void RegistrationRefused(string error) => Refused.TrySetResult(error);

        public void RegistrationLost(string reason) => Lost.TrySetResult(reason);

        public Task MapReceivedAsync(MapResponse message, bool firstOfStream, CancellationToken ct)
        {
            Maps.Add(message, firstOfStream);
            return Task.CompletedTask;
        }

        public void ConnectionChanged(bool connected, string? error)
        {
            Connected.Enqueue(connected);
            if (!connected)
            {
                Interlocked.Increment(ref _failures);
                _failureSignal.Release();
            }
        }

        public async Task WaitForFailuresAsync(int count, TimeSpan guard)
        {
            using var timeout = new CancellationTokenSource(guard);
            while (Volatile.Read(ref _failures) < count)
            {
                await _failureSignal.WaitAsync(timeout.Token);
            }
        }
    }

    /// <summary>Map messages in arrival order; Take waits until that many have arrived.</summary>
    private sealed class MapLog
    {
        private readonly System.Threading.Channels.Channel<(MapResponse Message, bool First)> _channel =
            System.Threading.Channels.Channel.CreateUnbounded<(MapResponse, bool)>();

        public void Add(MapResponse message, bool first) => _channel.Writer.TryWrite((message, first));

        public async Task<List<(MapResponse Message, bool First)>> Take(int count, TimeSpan guard)
        {
            using var timeout = new CancellationTokenSource(guard);
            var list = new List<(MapResponse, bool)>();
            while (list.Count < count)
            {
                list.Add(await _channel.Reader.ReadAsync(timeout.Token));
            }
            return list;
        }
    }
}
