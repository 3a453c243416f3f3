using Weft.Core.Crypto;

namespace Weft.WireGuard.Uapi;

/// <summary>A snapshot of a device for a `get=1` answer, taken by <see cref="IUapiDevice.GetState"/>.</summary>
public sealed class UapiDeviceState
{
    /// <summary>The private key, or null (or all zeroes) when none is set; then none is printed.</summary>
    public Key32? PrivateKey { get; set; }

    /// <summary>The UDP port actually bound; zero (not printed) when not listening.</summary>
    public ushort ListenPort { get; set; }

    /// <summary>The firewall mark; zero (not printed) when none.</summary>
    public uint FwMark { get; set; }

    /// <summary>The peers, printed in this order.</summary>
    public List<UapiPeerState> Peers { get; } = [];

    /// <summary>Zeroes the private and preshared keys once the answer is written.</summary>
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
