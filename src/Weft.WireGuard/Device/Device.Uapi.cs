using System.Net.Sockets;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard;

// The device as the userspace API sees it: `wg show` reads GetState, `wg set` calls Apply.
public sealed partial class Device : IUapiDevice
{
    /// <inheritdoc />
    public UapiDeviceState GetState()
    {
        var state = new UapiDeviceState();
        lock (_configGate)
        {
            state.PrivateKey = _identity?.PrivateKey;
            state.ListenPort = _listenPort;
            state.FwMark = _fwMark;
            foreach (var peer in _peers.Values)
            {
                var endpoint = peer.Endpoint;
                var peerState = new UapiPeerState
                {
                    PublicKey = peer.PublicKey,
                    PresharedKey = peer.Handshake.PresharedKey,
                    Endpoint = endpoint.IsEmpty ? null : endpoint,
                    LastHandshake = peer.LastHandshake,
                    RxBytes = (ulong)peer.RxBytes,
                    TxBytes = (ulong)peer.TxBytes,
                    PersistentKeepaliveInterval = peer.PersistentKeepaliveInterval,
                };
                AllowedIps.CopyPrefixesOf(peer, peerState.AllowedIps);
                state.Peers.Add(peerState);
            }
        }
        return state;
    }

    /// <inheritdoc />
    public UapiErrno Apply(UapiSetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ReplacePeers)
        {
            RemoveAllPeers();
        }
        if (request.PrivateKey is { } privateKey)
        {
            SetPrivateKey(privateKey);
        }
        try
        {
            if (request.ListenPort is { } port)
            {
                SetListenPort(port);
            }
            if (request.FwMark is { } mark)
            {
                SetFwMark(mark);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException)
        {
            Log.SocketChangeFailed(_logger, ex.Message);
            return UapiErrno.PortInUse;
        }
        foreach (var change in request.Peers)
        {
            if (_identity is { } identity && identity.PublicKey == change.PublicKey)
            {
                // wireguard-go ignores a peer that is ourselves.
                continue;
            }
            if (change.Remove)
            {
                RemovePeer(change.PublicKey);
                continue;
            }
            var peer = FindPeer(change.PublicKey);
            if (peer is null)
            {
                if (change.UpdateOnly)
                {
                    continue;
                }
                try
                {
                    peer = AddPeer(change.PublicKey);
                }
                catch (InvalidOperationException)
                {
                    return UapiErrno.Invalid;
                }
                if (peer is null)
                {
                    continue;
                }
            }
            if (change.PresharedKey is { } psk)
            {
                SetPresharedKey(peer, psk);
            }
            if (change.Endpoint is { } endpoint)
            {
                SetEndpoint(peer, endpoint);
            }
            if (change.ReplaceAllowedIps)
            {
                ClearAllowedIps(peer);
            }
            foreach (var prefix in change.AllowedIps)
            {
                AddAllowedIp(peer, prefix);
            }
            if (change.PersistentKeepaliveInterval is { } interval)
            {
                SetPersistentKeepalive(peer, interval);
            }
        }
        return UapiErrno.None;
    }
}
