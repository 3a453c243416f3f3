using System.Diagnostics;
using Weft.Node.Dns;

namespace Weft.Node.Tests.Dns;

/// <summary>A real resolver client (dig) against a running MagicDns on loopback, over UDP and TCP.</summary>
public sealed class DigTests
{
    private static string Dig()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "dig");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        if (Environment.GetEnvironmentVariable("WEFT_REQUIRE_LAB") == "1")
        {
            Assert.Fail("`dig` is not on PATH (WEFT_REQUIRE_LAB=1 makes this a failure)");
        }
        Assert.Skip("`dig` is not on PATH (install bind9-dnsutils)");
        return "";
    }

    private static async Task<string> RunDigAsync(MagicDns dns, params string[] arguments)
    {
        var endpoint = dns.BoundEndpoints[0];
        var start = new ProcessStartInfo(Dig()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[$"@{endpoint.Address}", "-p", endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "+tries=1", "+time=10", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"dig {string.Join(' ', arguments)} exited {process.ExitCode}: {output}");
        return output;
    }

    [Fact]
    public async Task Dig_A_And_Aaaa_OfPeerName()
    {
        await using var dns = await MagicDnsTests.StartAsync();

        Assert.Equal("100.64.0.2", (await RunDigAsync(dns, "+short", "beta.tail.example", "A")).Trim());
        Assert.Equal("fd7a:115c:a1e0:ab12::2", (await RunDigAsync(dns, "+short", "BETA.tail.example.", "AAAA")).Trim());
    }

    [Fact]
    public async Task Dig_OverTcp()
    {
        await using var dns = await MagicDnsTests.StartAsync();

        Assert.Equal("100.64.0.1", (await RunDigAsync(dns, "+tcp", "+short", "alpha.tail.example", "A")).Trim());
    }

    [Fact]
    public async Task Dig_Reverse_OfTailnetAddresses()
    {
        await using var dns = await MagicDnsTests.StartAsync();

        Assert.Equal("beta.tail.example.", (await RunDigAsync(dns, "+short", "-x", "100.64.0.2")).Trim());
        Assert.Equal("alpha.tail.example.", (await RunDigAsync(dns, "+short", "-x", "fd7a:115c:a1e0:ab12::1")).Trim());
    }

    [Fact]
    public async Task Dig_UnknownName_IsNxDomain_WithAuthority()
    {
        await using var dns = await MagicDnsTests.StartAsync();

        var output = await RunDigAsync(dns, "nobody.tail.example", "A");

        Assert.Contains("status: NXDOMAIN", output, StringComparison.Ordinal);
        Assert.Contains("flags: qr aa rd ra", output, StringComparison.Ordinal);
        Assert.Contains("tail.example.\t\t60\tIN\tSOA", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dig_ForwardedName_GetsTheUpstreamAnswer()
    {
        await using var upstream = new FakeUpstream(UpstreamBehaviour.Answer, "192.0.2.44");
        await using var dns = await MagicDnsTests.StartAsync(upstreams: upstream.Endpoint);

        Assert.Equal("192.0.2.44", (await RunDigAsync(dns, "+short", "www.example.org", "A")).Trim());
    }
}
