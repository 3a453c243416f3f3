using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Crypto;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>
/// Sends the same requests to a real wireguard-go (inside a network namespace of our own, so it touches
/// nothing outside) and to our server, and expects the same answers.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UapiWireguardGoComparisonTests
{
    private static readonly string PeerA = new('a', 64);

    // Each request goes on its own connection: wireguard-go's set reads ahead and swallows what follows.
    public static TheoryData<string> Requests =>
    [
        "get=1\n\n",
        "get=1\nx\n\n",
        "set=1\n\n",
        "set=1\nprivate_key=zz\n\n",
        "set=1\nprivate_key=" + new string('0', 64) + "\n\n",
        "set=1\nfoo=1\n\n",
        "set=1\n=5\n\n",
        "set=1\nnoequals\n\n",
        "set=1\nendpoint=192.0.2.1:5\n\n",
        "set=1\nlisten_port=70000\n\n",
        "set=1\nlisten_port=+5\n\n",
        "set=1\nlisten_port= 5\n\n",
        "set=1\nlisten_port=0\n\n",
        "set=1\nfwmark=x\n\n",
        "set=1\nfwmark=4294967296\n\n",
        "set=1\nreplace_peers=false\n\n",
        "set=1\nreplace_peers=true\n\n",
        "set=1\npublic_key=" + new string('a', 63) + "\n\n",
        $"set=1\npublic_key={PeerA}\nendpoint=192.0.2.1\n\n",
        $"set=1\npublic_key={PeerA}\nendpoint=[fe80::1%eth0]:5\n\n",
        $"set=1\npublic_key={PeerA}\nendpoint=[192.0.2.1]:5\n\n",
        $"set=1\npublic_key={PeerA}\nendpoint=2001:db8::1:5\n\n",
        $"set=1\npublic_key={PeerA}\nallowed_ip=10.0.0.01/8\n\n",
        $"set=1\npublic_key={PeerA}\nallowed_ip=1.2.3.4/033\n\n",
        $"set=1\npublic_key={PeerA}\nallowed_ip=1.2.3.4\n\n",
        $"set=1\npublic_key={PeerA}\nallowed_ip=1.2.3.4/24\n\n",
        $"set=1\npublic_key={PeerA}\nprotocol_version=2\n\n",
        $"set=1\npublic_key={PeerA}\nprotocol_version=1\n\n",
        $"set=1\npublic_key={PeerA}\nfoo=bar\n\n",
        $"set=1\npublic_key={PeerA}\nprivate_key={PeerA}\n\n",
        $"set=1\npublic_key={PeerA}\nremove=false\n\n",
        $"set=1\npublic_key={PeerA}\nremove=true\nendpoint=1.1.1.1:1\n\n",
        $"set=1\npublic_key={PeerA}\nupdate_only=true\nendpoint=1.1.1.1:1\n\n",
        $"set=1\npublic_key={PeerA}\nreplace_allowed_ips=1\n\n",
        $"set=1\npublic_key={PeerA}\npersistent_keepalive_interval=65536\n\n",
        $"set=1\npublic_key={PeerA}\npreshared_key={new string('b', 62)}\n\n",
    ];

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Request_SameErrnoAsWireguardGo(string request)
    {
        await using var reference = await WireguardGo.StartAsync();
        var ours = await AskOursAsync(new FakeUapiDevice(), request);
        var theirs = await AskAsync(reference.SocketPath, request);
        Assert.Equal(theirs.Errno, ours.Errno);
    }

    [Fact]
    public async Task Get_AfterSameSet_SameLinesAsWireguardGo()
    {
        await using var reference = await WireguardGo.StartAsync();
        var privateKey = Curve25519.GeneratePrivateKey();
        Span<byte> bytes = privateKey;
        // wireguard-go stores the clamped key and prints that; start from a clamped one so both agree.
        Curve25519.Clamp(bytes);
        var set =
            $"set=1\nprivate_key={privateKey.ToHex()}\nlisten_port=51820\nfwmark=7\n" +
            $"public_key={Curve25519.PublicKey(Curve25519.GeneratePrivateKey()).ToHex()}\npreshared_key={Curve25519.GeneratePrivateKey().ToHex()}\n" +
            "endpoint=[2001:db8::1]:443\nallowed_ip=10.1.2.3/16\nallowed_ip=fd00::1/64\nallowed_ip=192.0.2.7/32\n\n";
        var device = new FakeUapiDevice();
        Assert.Equal(0, (await AskOursAsync(device, set)).Errno);
        Assert.Equal(0, (await AskAsync(reference.SocketPath, set)).Errno);
        var ours = await AskOursAsync(device, "get=1\n\n");
        var theirs = await AskAsync(reference.SocketPath, "get=1\n\n");
        // Allowed IPs come out in table order, which differs between the implementations: compare as sets.
        Assert.Equal(theirs.Lines.Order(StringComparer.Ordinal), ours.Lines.Order(StringComparer.Ordinal));
    }

    private static async Task<UapiAnswer> AskOursAsync(FakeUapiDevice device, string request)
    {
        var directory = Directory.CreateTempSubdirectory("wfu-");
        try
        {
            using var server = UapiServer.Start("wfu", device, NullLogger.Instance, directory.FullName);
            return await AskAsync(server.SocketPath, request);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<UapiAnswer> AskAsync(string socketPath, string request)
    {
        // wireguard-go's socket file appears at bind(2), a moment before listen(2): a connect in
        // between is refused, so retry that case a bounded number of times.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = await UapiTestClient.ConnectAsync(socketPath);
                return await client.RequestAsync(request);
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused && attempt < 200)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }
    }

    /// <summary>wireguard-go in the foreground inside a fresh namespace; disposing kills it and deletes the namespace.</summary>
    private sealed class WireguardGo : IAsyncDisposable
    {
        private readonly string _namespace;
        private readonly Process _process;

        private WireguardGo(string ns, string iface, Process process)
        {
            _namespace = ns;
            _process = process;
            SocketPath = Path.Combine(UapiConstants.DefaultSocketDirectory, iface + UapiConstants.SocketSuffix);
        }

        public string SocketPath { get; }

        public static async Task<WireguardGo> StartAsync()
        {
            if (WgTool.Find() is null || FindOnPath("wireguard-go") is null || FindOnPath("ip") is null || Environment.UserName != "root")
            {
                LabSkip.Because("needs root, ip and wireguard-go");
            }
            var suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 5));
            var ns = "wfu-" + suffix;
            var iface = "wfu" + suffix;
            await RunAsync("ip", "netns", "add", ns);
            Process? process = null;
            try
            {
                Directory.CreateDirectory(UapiConstants.DefaultSocketDirectory);
                using var watcher = new FileSystemWatcher(UapiConstants.DefaultSocketDirectory, iface + UapiConstants.SocketSuffix);
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                watcher.Created += (_, _) => created.TrySetResult();
                watcher.EnableRaisingEvents = true;
                var start = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var argument in (string[])["netns", "exec", ns, "wireguard-go", "-f", iface])
                {
                    start.ArgumentList.Add(argument);
                }
                start.Environment["WG_PROCESS_FOREGROUND"] = "1";
                process = Process.Start(start) ?? throw new InvalidOperationException("wireguard-go did not start");
                var path = Path.Combine(UapiConstants.DefaultSocketDirectory, iface + UapiConstants.SocketSuffix);
                if (!File.Exists(path))
                {
                    var exited = process.WaitForExitAsync(TestContext.Current.CancellationToken);
                    if (await Task.WhenAny(created.Task, exited) == exited)
                    {
                        throw new InvalidOperationException($"wireguard-go exited {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
                    }
                }
                return new WireguardGo(ns, iface, process);
            }
            catch
            {
                process?.Kill(entireProcessTree: true);
                process?.Dispose();
                await RunAsync("ip", "netns", "del", ns);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            finally
            {
                _process.Dispose();
                File.Delete(SocketPath);
                await RunAsync("ip", "netns", "del", _namespace);
            }
        }

        private static string? FindOnPath(string tool)
        {
            foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(directory, tool)))
                {
                    return Path.Combine(directory, tool);
                }
            }
            return null;
        }

        private static async Task RunAsync(params string[] arguments)
        {
            var start = new ProcessStartInfo(arguments[0]) { UseShellExecute = false, RedirectStandardError = true };
            foreach (var argument in arguments[1..])
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{arguments[0]} did not start");
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
            }
        }
    }
}
