using System.Net;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

public class UapiParserTests
{
    private static readonly string KeyA = new('a', 64);
    private static readonly string KeyB = new('b', 64);

    private static UapiSetRequest Parse(string body)
    {
        var errno = UapiParser.TryParseSet(body, out var request, out var error);
        Assert.True(errno == UapiErrno.None, error);
        return Assert.IsType<UapiSetRequest>(request);
    }

    private static (UapiErrno Errno, string? Error) Fail(string body)
    {
        var errno = UapiParser.TryParseSet(body, out var request, out var error);
        Assert.Null(request);
        return (errno, error);
    }

    [Fact]
    public void TryParseSet_DeviceKeys_AreAllRead()
    {
        var request = Parse($"private_key={KeyA}\nlisten_port=51820\nfwmark=4294967295\nreplace_peers=true\n\n");
        Assert.Equal(KeyA, request.PrivateKey!.Value.ToHex());
        Assert.Equal((ushort)51820, request.ListenPort);
        Assert.Equal(uint.MaxValue, request.FwMark);
        Assert.True(request.ReplacePeers);
        Assert.Empty(request.Peers);
    }

    [Fact]
    public void TryParseSet_EmptyBody_ChangesNothing()
    {
        var request = Parse("\n");
        Assert.Null(request.PrivateKey);
        Assert.Null(request.ListenPort);
        Assert.Null(request.FwMark);
        Assert.False(request.ReplacePeers);
        Assert.Empty(request.Peers);
    }

    [Fact]
    public void TryParseSet_ZeroPrivateKey_IsAcceptedAsRemoval()
    {
        var request = Parse($"private_key={new string('0', 64)}\n\n");
        Assert.True(request.PrivateKey!.Value.IsZero);
    }

    [Fact]
    public void TryParseSet_UpperCaseHexKey_IsAccepted()
    {
        var request = Parse($"public_key={new string('A', 64)}\n\n");
        Assert.Equal(KeyA, request.Peers[0].PublicKey.ToHex());
    }

    [Fact]
    public void TryParseSet_EveryPeerKey_IsRead()
    {
        var request = Parse(
            $"public_key={KeyA}\nupdate_only=true\npreshared_key={KeyB}\nendpoint=192.0.2.1:51820\n" +
            "persistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\nprotocol_version=1\n\n");
        var peer = Assert.Single(request.Peers);
        Assert.Equal(KeyA, peer.PublicKey.ToHex());
        Assert.True(peer.UpdateOnly);
        Assert.False(peer.Remove);
        Assert.Equal(KeyB, peer.PresharedKey!.Value.ToHex());
        Assert.Equal(UdpEndpoint.From(IPEndPoint.Parse("192.0.2.1:51820")), peer.Endpoint);
        Assert.Equal((ushort)25, peer.PersistentKeepaliveInterval);
        Assert.True(peer.ReplaceAllowedIps);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/24"), IPNetwork.Parse("fd00::/64")], peer.AllowedIps);
    }

    [Fact]
    public void TryParseSet_IPv6Endpoint_IsRead()
    {
        var request = Parse($"public_key={KeyA}\nendpoint=[2001:db8::1]:443\n\n");
        Assert.Equal(UdpEndpoint.From(IPEndPoint.Parse("[2001:db8::1]:443")), request.Peers[0].Endpoint);
    }

    [Fact]
    public void TryParseSet_AllowedIpWithHostBits_IsMasked()
    {
        var request = Parse($"public_key={KeyA}\nallowed_ip=10.1.2.3/16\nallowed_ip=fd00::1/8\n\n");
        Assert.Equal([IPNetwork.Parse("10.1.0.0/16"), IPNetwork.Parse("fd00::/8")], request.Peers[0].AllowedIps);
    }

    [Fact]
    public void TryParseSet_ReplaceAllowedIpsAfterSomeAllowedIps_DropsThoseBefore()
    {
        // Applied line by line, the replace would remove what the lines above had just added.
        var request = Parse($"public_key={KeyA}\nallowed_ip=10.0.0.0/8\nreplace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n\n");
        Assert.Equal([IPNetwork.Parse("10.1.0.0/16")], request.Peers[0].AllowedIps);
        Assert.True(request.Peers[0].ReplaceAllowedIps);
    }

    [Fact]
    public void TryParseSet_Remove_DropsTheRestOfThatPeerOnly()
    {
        var request = Parse($"public_key={KeyA}\nendpoint=192.0.2.1:1\nremove=true\nallowed_ip=10.0.0.0/8\npublic_key={KeyB}\nallowed_ip=10.1.0.0/16\n\n");
        Assert.Equal(2, request.Peers.Count);
        Assert.True(request.Peers[0].Remove);
        Assert.Null(request.Peers[0].Endpoint);
        Assert.Empty(request.Peers[0].AllowedIps);
        Assert.False(request.Peers[1].Remove);
        Assert.Equal([IPNetwork.Parse("10.1.0.0/16")], request.Peers[1].AllowedIps);
    }

    [Fact]
    public void TryParseSet_SamePeerTwice_KeepsBothChangesInOrder()
    {
        var request = Parse($"public_key={KeyA}\nallowed_ip=10.0.0.0/8\npublic_key={KeyA}\nremove=true\n\n");
        Assert.Equal(2, request.Peers.Count);
        Assert.False(request.Peers[0].Remove);
        Assert.True(request.Peers[1].Remove);
    }

    [Fact]
    public void TryParseSet_StopsAtBlankLine()
    {
        var request = Parse("listen_port=1\n\nlisten_port=nonsense\n\n");
        Assert.Equal((ushort)1, request.ListenPort);
    }

    [Fact]
    public void TryParseSet_CarriageReturnLineEnds_AreAccepted()
    {
        var request = Parse("listen_port=7\r\nfwmark=3\r\n\r\n");
        Assert.Equal((ushort)7, request.ListenPort);
        Assert.Equal(3u, request.FwMark);
    }

    [Fact]
    public void TryParseSet_FromTextReader_ReadsThroughBlankLineOnly()
    {
        using var reader = new StringReader($"public_key={KeyA}\nallowed_ip=10.0.0.0/8\n\nget=1\n");
        Assert.Equal(UapiErrno.None, UapiParser.TryParseSet(reader, out var request));
        Assert.Single(request!.Peers);
        Assert.Equal("get=1", reader.ReadLine());
    }

    [Theory]
    [InlineData("listen_port")]
    [InlineData("noequals")]
    [InlineData("public_key")]
    public void TryParseSet_LineWithoutEquals_IsProtocolError(string line)
    {
        var (errno, error) = Fail($"{line}\n\n");
        Assert.Equal(UapiErrno.Protocol, errno);
        Assert.Contains("line 2", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("private_key=zz")]
    [InlineData("private_key=aaaa")]
    [InlineData("listen_port=65536")]
    [InlineData("listen_port=-1")]
    [InlineData("listen_port=+5")]
    [InlineData("listen_port= 5")]
    [InlineData("listen_port=")]
    [InlineData("fwmark=4294967296")]
    [InlineData("fwmark=0x10")]
    [InlineData("replace_peers=false")]
    [InlineData("replace_peers=TRUE")]
    [InlineData("foo=1")]
    [InlineData("=5")]
    [InlineData("endpoint=192.0.2.1:1")]
    [InlineData("allowed_ip=10.0.0.0/8")]
    [InlineData("public_key=abc")]
    public void TryParseSet_BadDeviceLine_IsInvalid(string line)
    {
        Assert.Equal(UapiErrno.Invalid, Fail($"{line}\n\n").Errno);
    }

    [Theory]
    [InlineData("remove=false")]
    [InlineData("update_only=yes")]
    [InlineData("preshared_key=12")]
    [InlineData("endpoint=192.0.2.1")]
    [InlineData("endpoint=192.0.2.1:65536")]
    [InlineData("endpoint=2001:db8::1:80")]
    [InlineData("endpoint=[192.0.2.1]:80")]
    [InlineData("endpoint=[fe80::1%eth0]:80")]
    [InlineData("endpoint=192.0.2.01:80")]
    [InlineData("endpoint=example.com:80")]
    [InlineData("persistent_keepalive_interval=65536")]
    [InlineData("persistent_keepalive_interval=1s")]
    [InlineData("replace_allowed_ips=1")]
    [InlineData("allowed_ip=10.0.0.0")]
    [InlineData("allowed_ip=10.0.0.0/33")]
    [InlineData("allowed_ip=10.0.0.0/08")]
    [InlineData("allowed_ip=10.0.0.01/8")]
    [InlineData("allowed_ip=fd00::/129")]
    [InlineData("allowed_ip=fe80::1%eth0/64")]
    [InlineData("allowed_ip=10.0.0.0/-1")]
    [InlineData("protocol_version=2")]
    [InlineData("private_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("listen_port=1")]
    [InlineData("bogus=1")]
    public void TryParseSet_BadPeerLine_IsInvalid(string line)
    {
        Assert.Equal(UapiErrno.Invalid, Fail($"public_key={KeyA}\n{line}\n\n").Errno);
    }

    [Fact]
    public void TryParseSet_ErrorAfterGoodLines_AppliesNothingAndNamesTheLine()
    {
        var (errno, error) = Fail($"listen_port=1\npublic_key={KeyA}\nallowed_ip=10.0.0.0/8\nallowed_ip=nonsense\n\n");
        Assert.Equal(UapiErrno.Invalid, errno);
        Assert.Contains("line 5", error, StringComparison.Ordinal);
        Assert.Contains("allowed_ip 'nonsense'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseSet_FirstErrorWins()
    {
        Assert.Equal(UapiErrno.Protocol, Fail("noequals\nfoo=bar\n\n").Errno);
        Assert.Equal(UapiErrno.Invalid, Fail("foo=bar\nnoequals\n\n").Errno);
    }

    [Fact]
    public void TryParseSet_BadSecret_IsNotQuotedInTheError()
    {
        var secret = new string('c', 63) + "x";
        var (_, error) = Fail($"private_key={secret}\n\n");
        Assert.DoesNotContain("ccc", error, StringComparison.Ordinal);
        (_, error) = Fail($"public_key={KeyA}\npreshared_key={secret}\n\n");
        Assert.DoesNotContain("ccc", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseSet_ControlCharactersInError_AreReplacedAndBounded()
    {
        var (_, error) = Fail($"listen_port=\u001b[31m{new string('9', 200)}\n\n");
        Assert.DoesNotContain('\u001b', error!);
        Assert.True(error!.Length < 200, error);
    }

    [Fact]
    public void ClearSecrets_ZeroesPrivateAndPresharedKeys()
    {
        var request = Parse($"private_key={KeyA}\npublic_key={KeyB}\npreshared_key={KeyA}\n\n");
        request.ClearSecrets();
        Assert.True(request.PrivateKey!.Value.IsZero);
        Assert.True(request.Peers[0].PresharedKey!.Value.IsZero);
        Assert.Equal(KeyB, request.Peers[0].PublicKey.ToHex());
    }

    [Fact]
    public void TryParseSet_KeyParsesLikeKey32()
    {
        var key = Curve25519.GeneratePrivateKey();
        var request = Parse($"private_key={key.ToHex()}\n\n");
        Assert.Equal(key, request.PrivateKey);
    }
}
