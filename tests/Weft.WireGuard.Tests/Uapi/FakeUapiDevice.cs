using Weft.Core.Crypto;
using Weft.WireGuard.AllowedIps;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>
/// An in-memory device that applies set requests with wireguard-go's rules (own key ignored, update_only,
/// remove, replace_allowed_ips moving prefixes between peers) so round trips can be checked without a kernel.
/// </summary>
internal sealed class FakeUapiDevice : IUapiDevice
{
    internal sealed class FakePeer
    {
        public Key32 PublicKey { get; init; }
        public Key32 PresharedKey { get; set; }
        public UdpEndpoint? Endpoint { get; set; }
        public ushort PersistentKeepaliveInterval { get; set; }
        public DateTimeOffset? LastHandshake { get; set; }
        public ulong RxBytes { get; set; }
        public ulong TxBytes { get; set; }
    }

    /// <summary>Port a wildcard listen_port=0 binds.</summary>
    public const ushort EphemeralPort = 40123;

    private readonly List<FakePeer> _peers = [];

    public AllowedIpsTable<FakePeer> AllowedIps { get; } = new();

    public Key32? PrivateKey { get; private set; }

    public Key32? PublicKey { get; private set; }

    public ushort ListenPort { get; private set; }

    public uint FwMark { get; private set; }

    public IReadOnlyList<FakePeer> Peers => _peers;

    /// <summary>Ports some other process holds: setting one answers -EADDRINUSE.</summary>
    public HashSet<ushort> BusyPorts { get; } = [];

    /// <summary>When set, Apply throws this (a device bug).</summary>
    public Exception? ThrowOnApply { get; set; }

    /// <summary>When set, GetState throws this.</summary>
    public Exception? ThrowOnGet { get; set; }

    public int ApplyCount { get; private set; }

    public int GetCount { get; private set; }

    public FakePeer? Find(Key32 publicKey)
    {
        foreach (var peer in _peers)
        {
            if (peer.PublicKey == publicKey)
            {
                return peer;
            }
        }
        return null;
    }

    public List<System.Net.IPNetwork> AllowedIpsOf(FakePeer peer)
    {
        var list = new List<System.Net.IPNetwork>();
        AllowedIps.CopyPrefixesOf(peer, list);
        return list;
    }

    public UapiDeviceState GetState()
    {
        GetCount++;
        if (ThrowOnGet is { } exception)
        {
            throw exception;
        }
        var state = new UapiDeviceState { PrivateKey = PrivateKey, ListenPort = ListenPort, FwMark = FwMark };
        foreach (var peer in _peers)
        {
            var entry = new UapiPeerState
            {
                PublicKey = peer.PublicKey,
                PresharedKey = peer.PresharedKey,
                Endpoint = peer.Endpoint,
                LastHandshake = peer.LastHandshake,
                RxBytes = peer.RxBytes,
                TxBytes = peer.TxBytes,
                PersistentKeepaliveInterval = peer.PersistentKeepaliveInterval,
            };
            AllowedIps.CopyPrefixesOf(peer, entry.AllowedIps);
            state.Peers.Add(entry);
        }
        return state;
    }

    public UapiErrno Apply(UapiSetRequest request)
    {
        ApplyCount++;
        if (ThrowOnApply is { } exception)
        {
            throw exception;
        }
        if (request.ReplacePeers)
        {
            foreach (var peer in _peers)
            {
                AllowedIps.RemoveByOwner(peer);
            }
            _peers.Clear();
        }
        if (request.PrivateKey is { } privateKey)
        {
            if (privateKey.IsZero)
            {
                PrivateKey = null;
                PublicKey = null;
            }
            else
            {
                PrivateKey = privateKey;
                PublicKey = Curve25519.PublicKey(privateKey);
                if (Find(PublicKey.Value) is { } self)
                {
                    Remove(self);
                }
            }
        }
        if (request.ListenPort is { } port)
        {
            if (BusyPorts.Contains(port))
            {
                return UapiErrno.PortInUse;
            }
            ListenPort = port == 0 ? EphemeralPort : port;
        }
        if (request.FwMark is { } mark)
        {
            FwMark = mark;
        }
        foreach (var change in request.Peers)
        {
            if (PublicKey is { } own && own == change.PublicKey)
            {
                continue;
            }
            var peer = Find(change.PublicKey);
            if (change.Remove)
            {
                if (peer is not null)
                {
                    Remove(peer);
                }
                continue;
            }
            if (peer is null)
            {
                if (change.UpdateOnly)
                {
                    continue;
                }
                peer = new FakePeer { PublicKey = change.PublicKey };
                _peers.Add(peer);
            }
            if (change.PresharedKey is { } psk)
            {
                peer.PresharedKey = psk;
            }
            if (change.Endpoint is { } endpoint)
            {
                peer.Endpoint = endpoint;
            }
            if (change.PersistentKeepaliveInterval is { } interval)
            {
                peer.PersistentKeepaliveInterval = interval;
            }
            if (change.ReplaceAllowedIps)
            {
                AllowedIps.RemoveByOwner(peer);
            }
            foreach (var prefix in change.AllowedIps)
            {
                AllowedIps.Insert(prefix, peer);
            }
        }
        return UapiErrno.None;
    }

    private void Remove(FakePeer peer)
    {
        AllowedIps.RemoveByOwner(peer);
        _peers.Remove(peer);
    }
}
