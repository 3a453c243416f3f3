using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>
/// The real `weft control` process: killed with SIGKILL in the middle of many concurrent registrations and
/// started again on the same data directory: nothing it answered is lost, addresses stay unique and stable,
/// nodes reconnect and get their map, and a one-off key that a committed registration used stays used.
/// Also its admin CLI against it. Runs on loopback without namespaces, so it needs neither root nor the lab tools.
/// </summary>
public sealed class ControlRestartTests
{
    /// <summary>What `weft control` prints once it accepts connections.</summary>
    private const string ReadyLine = "weft control listening on";

    private const int Registrations = 150;

    /// <summary>Registrations in flight at once; the kill finds about this many half done.</summary>
    private const int InFlight = 24;

    /// <summary>The server is killed once this many registrations were answered.</summary>
    private const int KillAfterAnswers = 50;

    /// <summary>The first registrations each use their own one-off key.</summary>
    private const int OneOffKeys = 20;

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>One registration the server answered with success before it died.</summary>
    private sealed class Answered(Key32 machine, string nodeKey, string? oneOffKey)
    {
        public Key32 Machine { get; } = machine;

        public string NodeKey { get; } = nodeKey;

        public string? OneOffKey { get; } = oneOffKey;

        /// <summary>The addresses of the first map, when it arrived before the kill.</summary>
        public IReadOnlyList<string>? Addresses { get; set; }
    }

    [Fact]
    public async Task Sigkill_DuringConcurrentRegistrations_KeepsEveryAnsweredRegistration()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(Path.GetTempPath(), "weft-control-restart-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var url = new Uri($"http://127.0.0.1:{FreeLoopbackPort()}");
        var server = await StartServerAsync(dir, url);
        try
        {
            using var http = new HttpClient { BaseAddress = url };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(Path.Combine(dir, "owner-api-key"), ct)).Trim());
            var reusable = await CreateAuthKeyAsync(http, reusable: true, ct);
            var oneOff = new List<string>();
            for (var i = 0; i < OneOffKeys; i++)
            {
                oneOff.Add(await CreateAuthKeyAsync(http, reusable: false, ct));
            }

            var serverKey = await ControlClient.FetchServerKeyAsync(http, url, ct);
            var answered = new ConcurrentBag<Answered>();
            var earlyFailures = new ConcurrentQueue<string>();
            var answers = 0;
            var killed = 0;
            var killNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var gate = new SemaphoreSlim(InFlight);

            async Task RegisterOneAsync(int i)
            {
                await gate.WaitAsync(ct);
                var machine = Curve25519.GeneratePrivateKey();
                var nodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString();
                var key = i < OneOffKeys ? oneOff[i] : reusable;
                try
                {
                    await using var client = await ControlClient.ConnectAsync(url, machine, serverKey, ct);
                    var reply = await client.RegisterAsync(new RegisterRequest { NodeKey = nodeKey, AuthKey = key, HostInfo = new HostInfo { Hostname = $"n{i}", OS = "linux" } }, ct);
                    if (!reply.Authorized)
                    {
                        earlyFailures.Enqueue($"registration {i} refused: {reply.Error}");
                        return;
                    }

                    var entry = new Answered(machine, nodeKey, i < OneOffKeys ? key : null);
                    answered.Add(entry);
                    if (Interlocked.Increment(ref answers) == KillAfterAnswers)
                    {
                        killNow.TrySetResult();
                    }

                    await client.SendMapRequestAsync(new MapRequest { NodeKey = nodeKey, Stream = true }, ct);
                    var map = await client.ReceiveMapAsync(ct);
                    entry.Addresses = map?.Self?.Addresses;
                }
                catch (Exception e) when (e is IOException or HttpRequestException or System.Net.WebSockets.WebSocketException or InvalidOperationException or ObjectDisposedException)
                {
                    if (Volatile.Read(ref killed) == 0)
                    {
                        earlyFailures.Enqueue($"registration {i} failed before the kill: {e.GetType().Name}: {e.Message}");
                    }
                }
                finally
                {
                    gate.Release();
                }
            }

            var work = Enumerable.Range(0, Registrations).Select(i => Task.Run(() => RegisterOneAsync(i), ct)).ToList();
            await killNow.Task.WaitAsync(ct);
            Volatile.Write(ref killed, 1);
            await KillAsync(server);
            await Task.WhenAll(work);

            Assert.True(earlyFailures.IsEmpty, string.Join("\n", earlyFailures));
            Assert.True(answered.Count >= KillAfterAnswers);
            Assert.True(answered.Count < Registrations, "every registration finished before the kill; the test killed nothing in flight");

            server = await StartServerAsync(dir, url);
            var devices = await ListDevicesAsync(http, ct);
            var byNodeKey = devices.ToDictionary(d => d.NodeKey, StringComparer.Ordinal);

            // Nothing answered is lost, and no address is held twice.
            var allAddresses = devices.SelectMany(d => d.Addresses).ToList();
            Assert.Equal(allAddresses.Count, allAddresses.Distinct(StringComparer.Ordinal).Count());
            foreach (var a in answered)
            {
                Assert.True(byNodeKey.TryGetValue(a.NodeKey, out var device), $"answered registration {a.NodeKey} is gone after the restart");
                if (a.Addresses is not null)
                {
                    Assert.Equal(Bare(a.Addresses), device.Addresses.Order(StringComparer.Ordinal));
                }
            }

            // Every answered node reconnects with its keys alone and gets its map with the same addresses.
            await Parallel.ForEachAsync(answered, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = ct }, async (a, c) =>
            {
                await using var client = await ControlClient.ConnectAsync(url, a.Machine, serverKey, c);
                var reply = await client.RegisterAsync(new RegisterRequest { NodeKey = a.NodeKey, HostInfo = new HostInfo { Hostname = "again", OS = "linux" } }, c);
                Assert.True(reply.Authorized, reply.Error);
                await client.SendMapRequestAsync(new MapRequest { NodeKey = a.NodeKey, Stream = true }, c);
                var map = await client.ReceiveMapAsync(c);
                Assert.NotNull(map?.Self);
                Assert.Equal(byNodeKey[a.NodeKey].Addresses.Order(StringComparer.Ordinal), Bare(map.Self.Addresses));
                Assert.Equal(devices.Count - 1, map.Peers?.Count);
            });

            // A one-off key whose registration was answered stays used.
            var usedOneOff = answered.Where(a => a.OneOffKey is not null).ToList();
            Assert.NotEmpty(usedOneOff);
            foreach (var a in usedOneOff)
            {
                await using var client = await ControlClient.ConnectAsync(url, Curve25519.GeneratePrivateKey(), serverKey, ct);
                var reply = await client.RegisterAsync(new RegisterRequest
                {
                    NodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString(),
                    AuthKey = a.OneOffKey,
                    HostInfo = new HostInfo { Hostname = "reuse", OS = "linux" },
                }, ct);
                Assert.False(reply.Authorized);
                Assert.Equal("auth key already used", reply.Error);
            }
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The admin CLI's dns, tailnet and users commands change a running server as the API then shows.</summary>
    [Fact]
    public async Task AdminCli_DnsTailnetAndUsersCommands_ChangeTheServer()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(Path.GetTempPath(), "weft-control-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var url = new Uri($"http://127.0.0.1:{FreeLoopbackPort()}");
        var server = await StartServerAsync(dir, url);
        try
        {
            var keyFile = Path.Combine(dir, "owner-api-key");
            async Task<string> CliAsync(params string[] args)
            {
                await using var cli = LabProcess.Start([WeftExecutable.Find(), "control", .. args, "--server", url.ToString(), "--api-key-file", keyFile]);
                Assert.True(await cli.WaitForExitAsync(StartupTimeout), $"weft control {string.Join(' ', args)} did not finish");
                Assert.True(cli.ExitCode == 0, $"weft control {string.Join(' ', args)} exited with {cli.ExitCode}: {cli.Output}");
                return cli.Output;
            }

            await CliAsync("dns", "nameservers", "192.0.2.53", "2001:db8::53");
            await CliAsync("dns", "search", "corp.example");
            await CliAsync("dns", "split", "lab.example", "192.0.2.54");
            Assert.Contains("off", await CliAsync("dns", "magicdns", "off"), StringComparison.Ordinal);
            Assert.Contains("30 days", await CliAsync("tailnet", "set", "--key-expiry-days", "30"), StringComparison.Ordinal);
            Assert.Contains("30 days", await CliAsync("tailnet", "get"), StringComparison.Ordinal);
            Assert.Contains("admin", await CliAsync("users", "add", "bob@example.com", "--role", "admin"), StringComparison.Ordinal);

            using var http = new HttpClient { BaseAddress = url };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(keyFile, ct)).Trim());
            var dns = JsonDocument.Parse(await http.GetStringAsync("/api/v2/tailnet/-/dns", ct)).RootElement;
            Assert.Equal(["192.0.2.53", "2001:db8::53"], dns.GetProperty("nameservers").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["corp.example"], dns.GetProperty("searchPaths").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("192.0.2.54", dns.GetProperty("splitDns").GetProperty("lab.example")[0].GetString());
            Assert.False(dns.GetProperty("magicDns").GetBoolean());
            var settings = JsonDocument.Parse(await http.GetStringAsync("/api/v2/tailnet/-/settings", ct)).RootElement;
            Assert.Equal(30, settings.GetProperty("devicesKeyDurationDays").GetInt32());
            var users = JsonDocument.Parse(await http.GetStringAsync("/api/v2/tailnet/-/users", ct)).RootElement.GetProperty("users");
            Assert.Contains(users.EnumerateArray(), u => u.GetProperty("loginName").GetString() == "bob@example.com" && u.GetProperty("role").GetString() == "admin");

            await CliAsync("dns", "split", "lab.example");
            dns = JsonDocument.Parse(await http.GetStringAsync("/api/v2/tailnet/-/dns", ct)).RootElement;
            Assert.False(dns.GetProperty("splitDns").TryGetProperty("lab.example", out _));
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static IEnumerable<string> Bare(IEnumerable<string> prefixes) =>
        prefixes.Select(p => p.Split('/')[0]).Order(StringComparer.Ordinal);

    private static async Task<LabProcess> StartServerAsync(string dir, Uri url)
    {
        var process = LabProcess.Start([WeftExecutable.Find(), "control", "--data-dir", dir, "--listen", url.ToString().TrimEnd('/')], new Dictionary<string, string>
        {
            // One source address registers everything here; the per-source limit is not under test.
            ["WEFT_CONTROL_REGISTER_BURST"] = "100000",
            ["WEFT_CONTROL_REGISTER_PER_MINUTE"] = "100000",
        });
        try
        {
            await process.WaitForOutputAsync(ReadyLine, StartupTimeout);
        }
        catch (LabException)
        {
            await process.DisposeAsync();
            throw;
        }

        return process;
    }

    /// <summary>SIGKILL, as a crash would: no shutdown code runs.</summary>
    private static async Task KillAsync(LabProcess server)
    {
        using var process = Process.GetProcessById(server.Id);
        process.Kill();
        Assert.True(await server.WaitForExitAsync(StartupTimeout), "weft control still runs after SIGKILL");
    }

    private static async Task<string> CreateAuthKeyAsync(HttpClient http, bool reusable, CancellationToken ct)
    {
        var body = $$"""{"reusable":{{(reusable ? "true" : "false")}},"ephemeral":false,"preauthorized":true,"tags":[]}""";
        using var response = await http.PostAsync("/api/v2/tailnet/-/keys", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("key").GetString()!;
    }

    private sealed record Device(string NodeKey, IReadOnlyList<string> Addresses);

    private static async Task<List<Device>> ListDevicesAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.GetAsync("/api/v2/tailnet/-/devices", ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = new List<Device>();
        foreach (var d in JsonDocument.Parse(text).RootElement.GetProperty("devices").EnumerateArray())
        {
            list.Add(new Device(d.GetProperty("nodeKey").GetString()!, [.. d.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()!.Split('/')[0])]));
        }

        return list;
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
