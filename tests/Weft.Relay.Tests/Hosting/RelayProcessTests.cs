using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Weft.Core.Crypto;
using Weft.Lab;
using Weft.Relay.Stun;
using Weft.Relay.Tests.Server;

namespace Weft.Relay.Tests.Hosting;

/// <summary>`weft relay` as a real process: it listens, relays, answers STUN, keeps its key private, and stops on SIGTERM.</summary>
[SupportedOSPlatform("linux")]
public sealed partial class RelayProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WeftRelay_RelaysBetweenTwoClients_AnswersStun_AndStopsOnSigterm()
    {
        using var dir = new TempDir();
        var port = FreeTcpPort();
        await using var relay = LabProcess.Start([WeftExecutable.Find(), "relay", "--listen", $"http://127.0.0.1:{port}", "--stun-port", "0", "--data-dir", dir.Path]);
        await relay.WaitForOutputAsync("weft relay listening on", TimeSpan.FromSeconds(60));
        var banner = Banner().Match(relay.Output);
        Assert.True(banner.Success, relay.Output);
        var url = new Uri($"http://127.0.0.1:{port}");
        Assert.True(Key32.TryParseHex(banner.Groups["key"].Value, out var relayKey));

        // The key file is private to the relay's user.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.Path, "relay.key")));

        using var http = new HttpClient();
        Assert.Equal("ok", await http.GetStringAsync(new Uri(url, "/healthz"), Ct));

        await using var a = TestNode.Start(url, relayKey);
        await using var b = TestNode.Start(url, relayKey);
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);
        await a.DeliverAsync(b, [1, 2, 3]);
        Assert.Contains("weft_relay_clients 2\n", await http.GetStringAsync(new Uri(url, "/metrics"), Ct), StringComparison.Ordinal);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var stunPort = int.Parse(banner.Groups["stun"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(socket.LocalEndPoint, await new StunClient().QueryAsync(socket, new IPEndPoint(IPAddress.Loopback, stunPort), ct: Ct));

        relay.Terminate();
        Assert.True(await relay.WaitForExitAsync(TimeSpan.FromSeconds(30)), relay.Output);
        Assert.Equal(0, relay.ExitCode);
    }

    [Fact]
    public async Task WeftRelay_MeshWithoutMeshKey_ExitsWithAClearError()
    {
        using var dir = new TempDir();
        await using var relay = LabProcess.Start([WeftExecutable.Find(), "relay", "--listen", "http://127.0.0.1:0", "--no-stun", "--data-dir", dir.Path, "--mesh-with", "http://127.0.0.1:1"]);

        Assert.True(await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)), relay.Output);
        Assert.Equal(2, relay.ExitCode);
        Assert.Contains("--mesh-with needs --mesh-key", relay.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"STUN on udp (?<stun>\d+) \(relay key (?<key>[0-9a-f]{64})\)")]
    private static partial Regex Banner();

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
