using System.Net;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

public class UapiSerializerTests
{
    private static string Write(UapiDeviceState state)
    {
        using var w = new StringWriter();
        UapiSerializer.WriteGet(state, w);
        UapiSerializer.WriteErrno(UapiErrno.None, w);
        return w.ToString();
    }

    [Fact]
    public void WriteGet_EmptyDevice_IsOnlyErrno()
    {
        Assert.Equal("errno=0\n\n", Write(new UapiDeviceState()));
    }

    [Fact]
    public void WriteGet_FullDevice_MatchesWireguardGoLayout()
    {
        var state = new UapiDeviceState
        {
            PrivateKey = Key32.From(Enumerable.Repeat((byte)0xa8, 32).ToArray()),
            ListenPort = 51820,
            FwMark = 32,
        };
        var peer = new UapiPeerState
        {
            PublicKey = Key32.From(Enumerable.Repeat((byte)0x01, 32).ToArray()),
            Endpoint = UdpEndpoint.From(IPEndPoint.Parse("[2001:db8::1]:443")),
            LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1234567),
            RxBytes = 1000,
            TxBytes = ulong.MaxValue,
            PersistentKeepaliveInterval = 25,
        };
        peer.AllowedIps.Add(IPNetwork.Parse("10.0.0.0/24"));
        peer.AllowedIps.Add(IPNetwork.Parse("fd00::/64"));
        state.Peers.Add(peer);
        state.Peers.Add(new UapiPeerState { PublicKey = Key32.From(Enumerable.Repeat((byte)0x02, 32).ToArray()), Endpoint = UdpEndpoint.From(IPEndPoint.Parse("192.0.2.1:51820")) });
        var expected =
            $"private_key={string.Concat(Enumerable.Repeat("a8", 32))}\n" +
            "listen_port=51820\nfwmark=32\n" +
            $"public_key={string.Concat(Enumerable.Repeat("01", 32))}\npreshared_key={new string('0', 64)}\nprotocol_version=1\n" +
            "endpoint=[2001:db8::1]:443\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=123456700\n" +
            "tx_bytes=18446744073709551615\nrx_bytes=1000\npersistent_keepalive_interval=25\n" +
            "allowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\n" +
            $"public_key={string.Concat(Enumerable.Repeat("02", 32))}\npreshared_key={new string('0', 64)}\nprotocol_version=1\n" +
            "endpoint=192.0.2.1:51820\nlast_handshake_time_sec=0\nlast_handshake_time_nsec=0\n" +
            "tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\n" +
            "errno=0\n\n";
        Assert.Equal(expected, Write(state));
    }

    [Fact]
    public void WriteGet_ZeroPrivateKey_IsNotPrinted()
    {
        Assert.Equal("errno=0\n\n", Write(new UapiDeviceState { PrivateKey = default(Key32) }));
    }

    [Theory]
    [InlineData(UapiErrno.Invalid, "errno=-22\n\n")]
    [InlineData(UapiErrno.Protocol, "errno=-71\n\n")]
    [InlineData(UapiErrno.PortInUse, "errno=-98\n\n")]
    [InlineData(UapiErrno.IO, "errno=-5\n\n")]
    [InlineData(UapiErrno.Unknown, "errno=-55\n\n")]
    public void WriteErrno_NegatedLinuxNumbers(UapiErrno errno, string expected)
    {
        using var w = new StringWriter();
        UapiSerializer.WriteErrno(errno, w);
        Assert.Equal(expected, w.ToString());
    }

    [Fact]
    public void SplitUnixTime_BeforeEpochOrNever_IsZero()
    {
        Assert.Equal((0UL, 0UL), UapiSerializer.SplitUnixTime(null));
        Assert.Equal((0UL, 0UL), UapiSerializer.SplitUnixTime(DateTimeOffset.UnixEpoch.AddSeconds(-5)));
        Assert.Equal((5UL, 100UL), UapiSerializer.SplitUnixTime(DateTimeOffset.UnixEpoch.AddSeconds(5).AddTicks(1)));
    }

    [Fact]
    public void ClearSecrets_ZeroesPrivateAndPresharedKeys()
    {
        var state = new UapiDeviceState { PrivateKey = Curve25519.GeneratePrivateKey() };
        state.Peers.Add(new UapiPeerState { PublicKey = Curve25519.GeneratePrivateKey(), PresharedKey = Curve25519.GeneratePrivateKey() });
        state.ClearSecrets();
        Assert.True(state.PrivateKey!.Value.IsZero);
        Assert.True(state.Peers[0].PresharedKey.IsZero);
        Assert.False(state.Peers[0].PublicKey.IsZero);
    }
}
