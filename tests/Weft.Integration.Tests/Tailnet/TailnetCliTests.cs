using System.Text.Json;
using Weft.Lab;
using Weft.Node.LocalApi;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>The user commands against real daemons: what they print and how they exit.</summary>
public sealed class TailnetCliTests
{
    [Fact]
    public async Task NoDaemon_EveryCommandSaysHowToStartOne()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"weft-missing-{Guid.NewGuid():N}.sock");
        foreach (string[] args in (string[][])[["status"], ["up", "--auth-key", "x"], ["ping", "bravo"], ["ip"]])
        {
            var result = await Command.RunAsync([WeftExecutable.Find(), "--socket", socket, .. args], timeout: TimeSpan.FromSeconds(60));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("weft daemon is not running", result.StandardError, StringComparison.Ordinal);
            Assert.Contains("`weft daemon`", result.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Netcheck_MeasuresUdpAndTheEmbeddedRelay_AndNamesTheHome()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var a = await tailnet.AddNodeAsync("alpha", await tailnet.AuthKeyAsync());

        var json = (await a.CliAsync(["netcheck", "--json"])).EnsureSuccess().StandardOutput;
        var report = JsonSerializer.Deserialize(json, LocalApiJsonContext.Default.NetcheckResponse)!;
        Assert.True(report.Udp);
        // No NAT on the lab hub: the STUN server sees the node's own veth address (10.200.N.2).
        Assert.StartsWith("10.200.", report.PublicIPv4, StringComparison.Ordinal);
        var region = Assert.Single(report.RegionLatencyMs).Key;
        Assert.Equal(region, report.PreferredRegion);
        Assert.Equal(region, report.HomeRelay);
        Assert.Contains(report.PublicIPv4, report.Endpoints);

        var text = (await a.CliAsync(["netcheck"])).EnsureSuccess().StandardOutput;
        Assert.Contains("UDP: yes", text, StringComparison.Ordinal);
        Assert.Contains($"Home relay: {region}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusIpWhoisPing_DescribeTheRealTailnet()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var a = await tailnet.AddNodeAsync("alpha", key);
        var b = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var ipB = await b.IPv4Async();

        var peerIp = (await a.CliAsync(["ip", "-4", "bravo"])).EnsureSuccess();
        Assert.Equal(ipB, peerIp.StandardOutput.Trim());

        var ping = (await a.CliAsync(["ping", "--count", "2", "bravo"])).EnsureSuccess();
        Assert.Contains($"pong from bravo ({ipB}) via direct ", ping.StandardOutput, StringComparison.Ordinal);

        var table = (await a.CliAsync(["status"])).EnsureSuccess().StandardOutput;
        var bravoLine = table.Split('\n').Single(l => l.Contains(" bravo ", StringComparison.Ordinal));
        Assert.Contains(ipB, bravoLine, StringComparison.Ordinal);
        Assert.Contains("direct ", bravoLine, StringComparison.Ordinal);
        Assert.Contains(" ago", bravoLine, StringComparison.Ordinal);

        var whois = (await a.CliAsync(["whois", ipB + ":22"])).EnsureSuccess().StandardOutput;
        Assert.Contains("bravo", whois, StringComparison.Ordinal);
        Assert.Contains(ipB, whois, StringComparison.Ordinal);

        var unknown = await a.CliAsync(["whois", "100.127.255.254"]);
        Assert.Equal(1, unknown.ExitCode);

        Assert.Equal("alpha", (await a.CliAsync(["get", "hostname"])).EnsureSuccess().StandardOutput.Trim());
        Assert.Equal(tailnet.Control.ListenUrl, (await a.CliAsync(["get", "loginServer"])).EnsureSuccess().StandardOutput.Trim().TrimEnd('/'));
        var profiles = (await a.CliAsync(["switch", "--list"])).EnsureSuccess().StandardOutput;
        Assert.Single(profiles.Split('\n'), l => l.TrimEnd().EndsWith('*'));

        // down keeps the login: status says how to reconnect, and `weft up` with no flags does.
        (await a.CliAsync(["down"])).EnsureSuccess();
        var stopped = await a.CliAsync(["status"]);
        Assert.Equal(1, stopped.ExitCode);
        Assert.Contains("weft up", stopped.StandardOutput, StringComparison.Ordinal);
        (await a.CliAsync(["up", "--timeout", "60s"])).EnsureSuccess();
        Assert.Equal(ipB, (await a.CliAsync(["ip", "-4", "bravo"])).EnsureSuccess().StandardOutput.Trim());
    }
}
