using System.Net;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Uapi;

/// <summary>One peer in a <see cref="UapiDeviceState"/>.</summary>
public sealed class UapiPeerState
{
    /// <summary>The peer's public key.</summary>
    public Key32 PublicKey { get; set; }

    /// <summary>The preshared key; all zeroes when none (printed either way, as wireguard-go does).</summary>
    public Key32 PresharedKey { get; set; }

    /// <summary>The current endpoint, or null when unknown (then not printed).</summary>
    public UdpEndpoint? Endpoint { get; set; }

    /// <summary>When the last handshake completed, or null if never (printed as zero).</summary>
    public DateTimeOffset? LastHandshake { get; set; }

    /// <summary>Bytes received from the peer, including WireGuard overhead.</summary>
    public ulong RxBytes { get; set; }

    /// <summary>Bytes sent to the peer, including WireGuard overhead.</summary>
    public ulong TxBytes { get; set; }

    /// <summary>Persistent keepalive interval in seconds; zero when off.</summary>
    public ushort PersistentKeepaliveInterval { get; set; }

    /// <summary>The peer's allowed IPs in a stable order (as <see cref="AllowedIps.AllowedIpsTable{T}.CopyPrefixesOf"/> gives them).</summary>
    public List<IPNetwork> AllowedIps { get; } = [];

    /// <summary>Zeroes the preshared key.</summary>
    public void ClearSecrets()
    {
        var key = PresharedKey;
        key.Clear();
        PresharedKey = key;
    }
}
