using Weft.Core.Crypto;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// A fully parsed and validated `set=1` request. Null fields leave the device as it is; the device applies
/// <see cref="ReplacePeers"/> first, then the device fields, then <see cref="Peers"/> in order.
/// </summary>
public sealed class UapiSetRequest
{
    /// <summary>New private key; all zeroes removes the key (the device stops handshaking).</summary>
    public Key32? PrivateKey { get; set; }

    /// <summary>New UDP listen port; zero picks a free one.</summary>
    public ushort? ListenPort { get; set; }

    /// <summary>New firewall mark on outgoing packets; zero removes it.</summary>
    public uint? FwMark { get; set; }

    /// <summary>Remove every peer before applying <see cref="Peers"/>.</summary>
    public bool ReplacePeers { get; set; }

    /// <summary>Per-peer changes in request order (the same key may appear more than once).</summary>
    public List<UapiPeerChange> Peers { get; } = [];

    /// <summary>Zeroes the private and preshared keys once the request has been applied.</summary>
    public void ClearSecrets()
    {
        if (PrivateKey is { } key)
        {
            key.Clear();
            PrivateKey = key;
        }
        foreach (var peer in Peers)
        {
            peer.ClearSecrets();
        }
    }
}
