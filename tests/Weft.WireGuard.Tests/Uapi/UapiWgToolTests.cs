using System.Net;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>
/// The standard `wg` tool against our server: `wg` only looks in /var/run/wireguard, so each test serves a
/// unique interface name there (no namespace needed) and removes the socket afterwards.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UapiWgToolTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("wfu-");
    private readonly List<UapiServer> _servers = [];

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }
        _scratch.Delete(recursive: true);
    }

    private (string Name, FakeUapiDevice Device) Serve()
    {
        if (WgTool.Find() is null)
        {
            LabSkip.Because("the wg tool is not installed");
        }
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            LabSkip.Because("serving in /var/run/wireguard needs root");
        }
        var name = "wfu" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 5));
        var device = new FakeUapiDevice();
        _servers.Add(UapiServer.Start(name, device, NullLogger.Instance));
        return (name, device);
    }

    private string SecretFile(Key32 key)
    {
        var path = Path.Combine(_scratch.FullName, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, key.ToBase64() + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private string ConfigFile(string text)
    {
        var path = Path.Combine(_scratch.FullName, Guid.NewGuid().ToString("N") + ".conf");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static string NewPublic() => Curve25519.PublicKey(Curve25519.GeneratePrivateKey()).ToBase64();

    [Fact]
    public async Task WgSetThenShowDump_EveryField_RoundTrips()
    {
        var (name, device) = Serve();
        var privateKey = Curve25519.GeneratePrivateKey();
        var psk = Curve25519.GeneratePrivateKey();
        var peer1 = NewPublic();
        var peer2 = NewPublic();
        await WgTool.RunCheckedAsync(
            "set", name, "private-key", SecretFile(privateKey), "listen-port", "51820", "fwmark", "0x20",
            "peer", peer1, "preshared-key", SecretFile(psk), "endpoint", "192.0.2.1:51820", "persistent-keepalive", "25", "allowed-ips", "10.0.0.0/24,fd00::/64",
            "peer", peer2, "endpoint", "[2001:db8::1]:443", "allowed-ips", "10.0.1.0/24");

        Assert.Equal(privateKey, device.PrivateKey);
        Assert.Equal((ushort)51820, device.ListenPort);
        Assert.Equal(0x20u, device.FwMark);
        Assert.Equal(2, device.Peers.Count);
        Assert.Equal(psk, device.Peers[0].PresharedKey);
        Assert.Equal(UdpEndpoint.From(IPEndPoint.Parse("[2001:db8::1]:443")), device.Peers[1].Endpoint);
        device.Peers[0].LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        device.Peers[0].RxBytes = 1234;
        device.Peers[0].TxBytes = 5678;

        var dump = (await WgTool.RunCheckedAsync("show", name, "dump")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, dump.Length);
        Assert.Equal($"{privateKey.ToBase64()}\t{Curve25519.PublicKey(privateKey).ToBase64()}\t51820\t0x20", dump[0]);
        Assert.Equal($"{peer1}\t{psk.ToBase64()}\t192.0.2.1:51820\t10.0.0.0/24,fd00::/64\t1700000000\t1234\t5678\t25", dump[1]);
        Assert.Equal($"{peer2}\t(none)\t[2001:db8::1]:443\t10.0.1.0/24\t0\t0\t0\toff", dump[2]);
    }

    [Fact]
    public async Task WgShowconfIntoSetconf_OnAnotherDevice_GivesTheSameDump()
    {
        var (source, _) = Serve();
        var (target, targetDevice) = Serve();
        await WgTool.RunCheckedAsync(
            "set", source, "private-key", SecretFile(Curve25519.GeneratePrivateKey()), "listen-port", "40000",
            "peer", NewPublic(), "preshared-key", SecretFile(Curve25519.GeneratePrivateKey()), "endpoint", "192.0.2.9:9", "persistent-keepalive", "5", "allowed-ips", "10.9.0.0/16",
            "peer", NewPublic(), "allowed-ips", "fd00:9::/32,10.8.0.1/32");
        await WgTool.RunCheckedAsync("set", target, "peer", NewPublic(), "allowed-ips", "10.7.0.0/16");

        var config = await WgTool.RunCheckedAsync("showconf", source);
        Assert.Contains("[Interface]", config, StringComparison.Ordinal);
        Assert.Contains("ListenPort = 40000", config, StringComparison.Ordinal);
        await WgTool.RunCheckedAsync("setconf", target, ConfigFile(config));

        Assert.Equal(2, targetDevice.Peers.Count);
        Assert.Equal(await WgTool.RunCheckedAsync("show", source, "dump"), await WgTool.RunCheckedAsync("show", target, "dump"));
    }

    [Fact]
    public async Task WgSyncconf_RemovesMissingPeersAndReplacesAllowedIps()
    {
        var (name, device) = Serve();
        var kept = NewPublic();
        var dropped = NewPublic();
        var privateKey = Curve25519.GeneratePrivateKey();
        await WgTool.RunCheckedAsync(
            "set", name, "private-key", SecretFile(privateKey), "listen-port", "40001",
            "peer", kept, "allowed-ips", "10.1.0.0/16,10.2.0.0/16", "peer", dropped, "allowed-ips", "10.3.0.0/16");
        device.Peers[0].RxBytes = 99;

        await WgTool.RunCheckedAsync("syncconf", name, ConfigFile(
            $"[Interface]\nPrivateKey = {privateKey.ToBase64()}\nListenPort = 40001\n\n[Peer]\nPublicKey = {kept}\nAllowedIPs = 10.2.0.0/16, 10.4.0.0/16\n"));

        var peer = Assert.Single(device.Peers);
        Assert.Equal(kept, peer.PublicKey.ToBase64());
        // syncconf changes a peer in place (its counters survive) rather than recreating it.
        Assert.Equal(99UL, peer.RxBytes);
        Assert.Equal([IPNetwork.Parse("10.2.0.0/16"), IPNetwork.Parse("10.4.0.0/16")], device.AllowedIpsOf(peer));
    }

    [Fact]
    public async Task WgSetPeerRemove_RemovesThePeer()
    {
        var (name, device) = Serve();
        var peer = NewPublic();
        await WgTool.RunCheckedAsync("set", name, "peer", peer, "allowed-ips", "10.0.0.0/8");
        Assert.Single(device.Peers);
        await WgTool.RunCheckedAsync("set", name, "peer", peer, "remove");
        Assert.Empty(device.Peers);
        Assert.Equal(0, device.AllowedIps.Count);
    }

    [Fact]
    public async Task WgSet_PortInUse_FailsWithAddressInUse()
    {
        var (name, device) = Serve();
        device.BusyPorts.Add(51999);
        var (exitCode, output, error) = await WgTool.RunAsync("set", name, "listen-port", "51999");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Address already in use", error + output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WgShow_ListsOurInterface()
    {
        var (name, _) = Serve();
        var interfaces = await WgTool.RunCheckedAsync("show", "interfaces");
        Assert.Contains(name, interfaces.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var human = await WgTool.RunCheckedAsync("show", name);
        Assert.Contains($"interface: {name}", human, StringComparison.Ordinal);
    }
}
