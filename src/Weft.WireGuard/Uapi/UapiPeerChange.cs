using System.Net;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// The changes a set request makes to one peer, in the order `wg` sends them. Null or false fields leave
/// the peer as it is. A device applies wireguard-go's rules: a change whose key is the device's own public
/// key is ignored; <see cref="UpdateOnly"/> skips a peer that does not exist yet instead of creating it.
/// </summary>
public sealed class UapiPeerChange
{
    /// <summary>The peer's public key: which peer to create, change or remove.</summary>
    public Key32 PublicKey { get; set; }

    /// <summary>Remove the peer; the other fields are then left empty.</summary>
    public bool Remove { get; set; }

    /// <summary>Only change an existing peer; never create one.</summary>
    public bool UpdateOnly { get; set; }

    /// <summary>New preshared key; all zeroes means none.</summary>
    public Key32? PresharedKey { get; set; }

    /// <summary>New endpoint.</summary>
    public UdpEndpoint? Endpoint { get; set; }

    /// <summary>New persistent keepalive interval in seconds; zero turns it off.</summary>
    public ushort? PersistentKeepaliveInterval { get; set; }

    /// <summary>Remove the peer's allowed IPs before adding <see cref="AllowedIps"/>.</summary>
    public bool ReplaceAllowedIps { get; set; }

    /// <summary>Prefixes to add (host bits already zero), in request order; each moves from any other peer that had it.</summary>
    public List<IPNetwork> AllowedIps { get; } = [];

    /// <summary>Zeroes the preshared key once the change has been applied.</summary>
    public void ClearSecrets()
    {
        if (PresharedKey is { } key)
        {
            key.Clear();
            PresharedKey = key;
        }
    }
}
