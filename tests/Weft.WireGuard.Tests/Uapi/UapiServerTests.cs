using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

[SupportedOSPlatform("linux")]
public sealed class UapiServerTests : IDisposable
{
    private readonly UapiServerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static string Hex(Key32 key) => key.ToHex();

    [Fact]
    public async Task Get_FreshDevice_AnswersOnlyErrnoZero()
    {
        using var client = await _fixture.ConnectAsync();
        var answer = await client.RequestAsync("get=1\n\n");
        Assert.Equal(0, answer.Errno);
        Assert.Empty(answer.Lines);
    }

    [Fact]
    public async Task SetThenGet_EveryKey_RoundTrips()
    {
        var privateKey = Curve25519.GeneratePrivateKey();
        var peerKey = Curve25519.PublicKey(Curve25519.GeneratePrivateKey());
        var psk = Curve25519.GeneratePrivateKey();
        using var client = await _fixture.ConnectAsync();
        var set = await client.RequestAsync(
            $"set=1\nprivate_key={Hex(privateKey)}\nlisten_port=51820\nfwmark=7\nreplace_peers=true\n" +
            $"public_key={Hex(peerKey)}\npreshared_key={Hex(psk)}\nendpoint=[2001:db8::1]:443\n" +
            "persistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\nprotocol_version=1\n\n");
        Assert.Equal(0, set.Errno);
        _fixture.Device.Peers[0].RxBytes = 11;
        _fixture.Device.Peers[0].TxBytes = 22;
        _fixture.Device.Peers[0].LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(5);

        var get = await client.RequestAsync("get=1\n\n");
        Assert.Equal(0, get.Errno);
        Assert.Equal(
            [
                $"private_key={Hex(privateKey)}", "listen_port=51820", "fwmark=7",
                $"public_key={Hex(peerKey)}", $"preshared_key={Hex(psk)}", "protocol_version=1", "endpoint=[2001:db8::1]:443",
                "last_handshake_time_sec=1700000000", "last_handshake_time_nsec=500", "tx_bytes=22", "rx_bytes=11",
                "persistent_keepalive_interval=25", "allowed_ip=10.0.0.0/24", "allowed_ip=fd00::/64",
            ],
            get.Lines);
    }

    [Fact]
    public async Task Set_RemoveUpdateOnlyAndReplaceAllowedIps_FollowWireguardGo()
    {
        var a = Hex(Curve25519.PublicKey(Curve25519.GeneratePrivateKey()));
        var b = Hex(Curve25519.PublicKey(Curve25519.GeneratePrivateKey()));
        var c = Hex(Curve25519.PublicKey(Curve25519.GeneratePrivateKey()));
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(0, (await client.RequestAsync($"set=1\npublic_key={a}\nallowed_ip=10.0.0.0/8\npublic_key={b}\nallowed_ip=10.1.0.0/16\n\n")).Errno);
        // b takes a's prefix; c is skipped because update_only never creates; a's list is replaced.
        Assert.Equal(0, (await client.RequestAsync(
            $"set=1\npublic_key={b}\nallowed_ip=10.0.0.0/8\npublic_key={c}\nupdate_only=true\nallowed_ip=10.2.0.0/16\n" +
            $"public_key={a}\nreplace_allowed_ips=true\nallowed_ip=10.3.0.0/16\n\n")).Errno);
        var device = _fixture.Device;
        Assert.Equal(2, device.Peers.Count);
        Assert.Equal([IPNetwork.Parse("10.3.0.0/16")], device.AllowedIpsOf(device.Peers[0]));
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("10.1.0.0/16")], device.AllowedIpsOf(device.Peers[1]));
        Assert.Equal(0, (await client.RequestAsync($"set=1\npublic_key={a}\nremove=true\n\n")).Errno);
        Assert.Single(device.Peers);
        // a's 10.3.0.0/16 went with it: the address now falls to b's 10.0.0.0/8.
        Assert.Same(device.Peers[0], device.AllowedIps.Lookup([10, 3, 0, 1]));
        Assert.Equal(2, device.AllowedIps.Count);
    }

    [Fact]
    public async Task Set_OwnPublicKeyAsPeer_IsIgnored()
    {
        var privateKey = Curve25519.GeneratePrivateKey();
        using var client = await _fixture.ConnectAsync();
        var answer = await client.RequestAsync($"set=1\nprivate_key={Hex(privateKey)}\npublic_key={Hex(Curve25519.PublicKey(privateKey))}\nallowed_ip=10.0.0.0/8\n\n");
        Assert.Equal(0, answer.Errno);
        Assert.Empty(_fixture.Device.Peers);
    }

    [Fact]
    public async Task OneConnection_ManyRequestsIncludingBadOnes_AllAnswered()
    {
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(0, (await client.RequestAsync("set=1\nlisten_port=1000\n\n")).Errno);
        Assert.Equal(-22, (await client.RequestAsync("set=1\nlisten_port=1001\nfoo=bar\nbaz=1\n\n")).Errno);
        Assert.Equal(-71, (await client.RequestAsync("set=1\nnoequals\n\n")).Errno);
        Assert.Equal(-22, (await client.RequestAsync("get=1\nextra\nmore\n\n")).Errno);
        var get = await client.RequestAsync("get=1\n\n");
        Assert.Equal(0, get.Errno);
        // The failed set changed nothing at all, not even its first line.
        Assert.Equal("1000", get.Value("listen_port"));
        Assert.Equal(1, _fixture.Device.ApplyCount);
    }

    [Fact]
    public async Task Requests_SentBackToBackInOneWrite_AreAnsweredInOrder()
    {
        using var client = await _fixture.ConnectAsync();
        await client.SendAsync("set=1\nlisten_port=1234\n\nget=1\n\nset=1\nbad\n\nget=1\n\n");
        Assert.Equal(0, (await client.ReadAnswerAsync())!.Errno);
        Assert.Equal("1234", (await client.ReadAnswerAsync())!.Value("listen_port"));
        Assert.Equal(-71, (await client.ReadAnswerAsync())!.Errno);
        Assert.Equal(0, (await client.ReadAnswerAsync())!.Errno);
    }

    [Theory]
    [InlineData("bogus\n")]
    [InlineData("\n")]
    [InlineData("get=2\n\n")]
    [InlineData("set=1 \n\n")]
    public async Task UnknownOperation_AnswersProtocolErrorAndCloses(string request)
    {
        using var client = await _fixture.ConnectAsync();
        await client.SendAsync(request);
        Assert.Equal(-71, (await client.ReadAnswerAsync())!.Errno);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task OverlongLine_AnswersIOErrorAndCloses()
    {
        using var client = await _fixture.ConnectAsync();
        await client.SendAsync("set=1\nlisten_port=" + new string('1', UapiConstants.MaxLineLength + 10) + "\n\n");
        Assert.Equal(-5, (await client.ReadAnswerAsync())!.Errno);
        Assert.True(await client.IsClosedByServerAsync());
        Assert.Equal(0, _fixture.Device.ApplyCount);
    }

    [Fact]
    public async Task Set_EndOfInputWithoutBlankLine_IsAppliedAndAnswered()
    {
        using var client = await _fixture.ConnectAsync();
        await client.SendAsync("set=1\nlisten_port=4321");
        client.ShutdownSend();
        Assert.Equal(0, (await client.ReadAnswerAsync())!.Errno);
        Assert.Equal((ushort)4321, _fixture.Device.ListenPort);
    }

    [Fact]
    public async Task Set_PortTaken_AnswersAddressInUse()
    {
        _fixture.Device.BusyPorts.Add(51820);
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(-98, (await client.RequestAsync("set=1\nlisten_port=51820\n\n")).Errno);
        Assert.Equal(0, (await client.RequestAsync("set=1\nlisten_port=51821\n\n")).Errno);
    }

    [Fact]
    public async Task Set_DeviceThrows_AnswersUnknownAndKeepsServing()
    {
        _fixture.Device.ThrowOnApply = new InvalidOperationException("bug");
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(-55, (await client.RequestAsync("set=1\nlisten_port=1\n\n")).Errno);
        _fixture.Device.ThrowOnApply = null;
        Assert.Equal(0, (await client.RequestAsync("set=1\nlisten_port=1\n\n")).Errno);
    }

    [Fact]
    public async Task Get_DeviceThrows_AnswersUnknownAndKeepsServing()
    {
        _fixture.Device.ThrowOnGet = new InvalidOperationException("bug");
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(-55, (await client.RequestAsync("get=1\n\n")).Errno);
        _fixture.Device.ThrowOnGet = null;
        Assert.Equal(0, (await client.RequestAsync("get=1\n\n")).Errno);
    }

    [Fact]
    public async Task ManyClients_WhileOneStallsMidRequest_AllAnswered()
    {
        using var staller = await _fixture.ConnectAsync();
        await staller.SendAsync("set=1\nlisten_port=9");
        var clients = new Task[8];
        for (var i = 0; i < clients.Length; i++)
        {
            var port = 2000 + i;
            clients[i] = Task.Run(async () =>
            {
                using var client = await _fixture.ConnectAsync();
                for (var j = 0; j < 20; j++)
                {
                    Assert.Equal(0, (await client.RequestAsync($"set=1\nfwmark={port}\n\n")).Errno);
                    Assert.Equal(0, (await client.RequestAsync("get=1\n\n")).Errno);
                }
            }, TestContext.Current.CancellationToken);
        }
        await Task.WhenAll(clients);
        await staller.SendAsync("\n\n");
        Assert.Equal(0, (await staller.ReadAnswerAsync())!.Errno);
        Assert.Equal((ushort)9, _fixture.Device.ListenPort);
    }

    [Fact]
    public async Task Logs_NeverContainKeys()
    {
        var privateKey = Hex(Curve25519.GeneratePrivateKey());
        var psk = Hex(Curve25519.GeneratePrivateKey());
        using var client = await _fixture.ConnectAsync();
        await client.RequestAsync($"set=1\nprivate_key={privateKey}\npublic_key={new string('a', 64)}\npreshared_key={psk}\nfoo=1\n\n");
        await client.RequestAsync($"set=1\nprivate_key={privateKey[..63]}\n\n");
        await client.RequestAsync($"set=1\nprivate_key={privateKey}\n\n");
        await client.RequestAsync("get=1\n\n");
        await client.RequestAsync($"{privateKey}\n\n");
        Assert.NotEmpty(_fixture.Logger.Lines);
        Assert.DoesNotContain(privateKey[..16], _fixture.Logger.All, StringComparison.Ordinal);
        Assert.DoesNotContain(psk[..16], _fixture.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SocketFile_IsOwnerOnlyInTheGivenDirectory()
    {
        Assert.Equal(Path.Combine(_fixture.Directory.FullName, _fixture.InterfaceName + ".sock"), _fixture.Server.SocketPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_fixture.Server.SocketPath));
        // Only the socket is left behind: the private directory it was bound in is gone.
        Assert.Equal([_fixture.Server.SocketPath], Directory.GetFileSystemEntries(_fixture.Directory.FullName));
    }

    [Fact]
    public void Start_MissingDirectory_IsCreatedWorldReadable()
    {
        var directory = Path.Combine(_fixture.Directory.FullName, "run");
        using var server = UapiServer.Start("wfu0", new FakeUapiDevice(), NullLogger.Instance, directory);
        Assert.Equal(UapiConstants.DirectoryMode, File.GetUnixFileMode(directory));
        Assert.True(File.Exists(server.SocketPath));
    }

    [Fact]
    public void Start_LiveSocketOfSameName_Refuses()
    {
        var error = Assert.Throws<IOException>(() => UapiServer.Start(_fixture.InterfaceName, new FakeUapiDevice(), NullLogger.Instance, _fixture.Directory.FullName));
        Assert.Contains(_fixture.Server.SocketPath, error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(_fixture.Server.SocketPath));
    }

    [Fact]
    public async Task Start_StaleSocketOfSameName_IsReplaced()
    {
        var stalePath = Path.Combine(_fixture.Directory.FullName, "wfu1.sock");
        var temporary = Path.Combine(_fixture.Directory.FullName, "bound");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // A socket file nobody listens on any more: what a killed process leaves behind.
            dead.Bind(new UnixDomainSocketEndPoint(temporary));
            File.Move(temporary, stalePath);
        }
        Assert.True(File.Exists(stalePath));
        var device = new FakeUapiDevice();
        using var server = UapiServer.Start("wfu1", device, NullLogger.Instance, _fixture.Directory.FullName);
        using var client = await UapiTestClient.ConnectAsync(stalePath);
        Assert.Equal(0, (await client.RequestAsync("get=1\n\n")).Errno);
        Assert.Equal(1, device.GetCount);
    }

    [Fact]
    public async Task Dispose_DeletesSocketAndClosesConnections()
    {
        var device = new FakeUapiDevice();
        var server = UapiServer.Start("wfu2", device, NullLogger.Instance, _fixture.Directory.FullName);
        using var client = await UapiTestClient.ConnectAsync(server.SocketPath);
        Assert.Equal(0, (await client.RequestAsync("get=1\n\n")).Errno);
        server.Dispose();
        Assert.False(File.Exists(server.SocketPath));
        Assert.True(await client.IsClosedByServerAsync());
        await Assert.ThrowsAsync<SocketException>(() => UapiTestClient.ConnectAsync(server.SocketPath));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("wg:0")]
    [InlineData("sixteen-chars-xx")]
    public void Start_BadInterfaceName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => UapiServer.Start(name, new FakeUapiDevice(), NullLogger.Instance, _fixture.Directory.FullName));
    }

    [Fact]
    public async Task Get_EndpointForms_MatchWireguardGo()
    {
        var key = Hex(Curve25519.PublicKey(Curve25519.GeneratePrivateKey()));
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(0, (await client.RequestAsync($"set=1\npublic_key={key}\nendpoint=192.0.2.1:51820\n\n")).Errno);
        Assert.Equal("192.0.2.1:51820", (await client.RequestAsync("get=1\n\n")).Value("endpoint"));
        Assert.Equal(UdpEndpoint.From(IPEndPoint.Parse("192.0.2.1:51820")), _fixture.Device.Peers[0].Endpoint);
    }
}
