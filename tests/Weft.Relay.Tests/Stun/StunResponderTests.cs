using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Lab;
using Weft.Relay.Stun;

namespace Weft.Relay.Tests.Stun;

public sealed class StunResponderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Responder_TellsOurClientItsLoopbackAddress()
    {
        await using var responder = StunResponder.Start(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var mapped = await new StunClient().QueryAsync(socket, responder.LocalEndPoint, ct: Ct);

        Assert.Equal(socket.LocalEndPoint, mapped);
        Assert.Equal(1, responder.Requests);
    }

    [Fact]
    public async Task DualModeResponder_AnswersIPv4ClientsWithAnIPv4Address()
    {
        await using var responder = StunResponder.Start(0, NullLogger.Instance);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var mapped = await new StunClient().QueryAsync(socket, new IPEndPoint(IPAddress.Loopback, responder.LocalEndPoint.Port), ct: Ct);

        Assert.Equal(socket.LocalEndPoint, mapped);
    }

    [Fact]
    public async Task Responder_AnswersTheRfc5769SampleRequest_AndDropsGarbage()
    {
        await using var responder = StunResponder.Start(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        await socket.SendToAsync(new byte[] { 1, 2, 3 }, responder.LocalEndPoint, Ct);
        var corrupted = (byte[])StunVectorTests.SampleRequest.Clone();
        corrupted[30] ^= 0xFF; // inside SOFTWARE: the FINGERPRINT no longer matches
        await socket.SendToAsync(corrupted, responder.LocalEndPoint, Ct);
        await socket.SendToAsync(StunVectorTests.SampleRequest, responder.LocalEndPoint, Ct);

        var buffer = new byte[StunConstants.MaxMessageLength];
        var n = await socket.ReceiveAsync(buffer, Ct);
        var response = buffer.AsSpan(0, n);
        Assert.True(StunMessage.TryParseHeader(response, out var type, out var transaction));
        Assert.Equal(StunConstants.BindingSuccess, type);
        Assert.Equal(TransactionId.From(StunVectorTests.SampleRequest.AsSpan(8)), transaction);
        Assert.Equal(FingerprintCheck.Valid, StunMessage.CheckFingerprint(response));
        Assert.True(StunMessage.TryReadMappedAddress(response, out var mapped));
        Assert.Equal(socket.LocalEndPoint, mapped);
        Assert.Equal(2, responder.Dropped);
    }

    [Fact]
    public async Task OurClient_AgainstCoturn_LearnsItsAddress()
    {
        var turnserver = RequireTool("turnserver");
        using var dir = new TempDir();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var client = new StunClient();
        IPEndPoint? mapped = null;
        var log = "";
        // A free port can be taken between our probe and coturn's bind (coturn also wants TCP on it): then it exits, and we try another.
        for (var start = 0; mapped is null && start < 3; start++)
        {
            var port = FreeUdpPort();
            await using var coturn = LabProcess.Start([turnserver, "-n", "-S", "-L", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--no-cli", "--no-tls", "--no-dtls", "--log-file", "stdout", "--db", dir.File($"turndb{start}")]);
            // coturn needs a moment to bind; each query retransmits per RFC 8489 before giving up.
            for (var attempt = 0; mapped is null && !coturn.HasExited && attempt < 20; attempt++)
            {
                try
                {
                    mapped = await client.QueryAsync(socket, new IPEndPoint(IPAddress.Loopback, port), attempts: 2, ct: Ct);
                }
                catch (TimeoutException)
                {
                    // Not listening yet.
                }
            }

            log = coturn.Output;
        }

        Assert.True(mapped is not null, "no answer from turnserver: " + log);
        Assert.Equal(socket.LocalEndPoint, mapped);
    }

    [Fact]
    public async Task CoturnsStunClient_AgainstOurResponder_LearnsItsAddress()
    {
        var stunclient = RequireTool("turnutils_stunclient");
        await using var responder = StunResponder.Start(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        using var process = Process.Start(new ProcessStartInfo(stunclient)
        {
            ArgumentList = { "-p", responder.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromSeconds(30));
        var output = await process.StandardOutput.ReadToEndAsync(guard.Token) + await process.StandardError.ReadToEndAsync(guard.Token);
        await process.WaitForExitAsync(guard.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.Matches(@"UDP reflexive addr: 127\.0\.0\.1:\d+", output);
        Assert.True(responder.Requests >= 1);
    }

    /// <summary>The tool's path; skips the test when it is missing, or fails it under WEFT_REQUIRE_LAB=1 (scripts/test installs coturn).</summary>
    private static string RequireTool(string tool)
    {
        if (LabRequirements.FindOnPath(tool) is { } path)
        {
            return path;
        }

        if (Environment.GetEnvironmentVariable(LabConstants.RequireLabVariable) == "1")
        {
            Assert.Fail($"`{tool}` (Debian package coturn) is missing and {LabConstants.RequireLabVariable}=1");
        }

        Assert.Skip($"`{tool}` (Debian package coturn) is not installed");
        return "";
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
