using System.Collections.Frozen;
using System.Net;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Core.Wire;

namespace Weft.Node.ControlLoop;

using Node = Weft.Core.Control.Node;

/// <summary>
/// One immutable view of the tailnet as this node sees it: self, visible peers by id, the inbound filter,
/// DNS and user profiles. A map stream's full map makes the first; each delta makes the next one. Anything
/// a message would break (unparseable keys or prefixes, a delta before any full map) is refused whole,
/// so the node keeps its last good view.
/// </summary>
public sealed class Netmap
{
    private Netmap(Node self, FrozenDictionary<long, Node> peers, IReadOnlyList<FilterRule> filter, DnsConfig? dns, FrozenDictionary<long, UserProfile> users, RelayMap? relays)
    {
        RelayMap = relays;
        Self = self;
        Peers = peers;
        PacketFilter = filter;
        Dns = dns;
        UserProfiles = users;
    }

    public Node Self { get; }

    /// <summary>Peers by node id.</summary>
    public IReadOnlyDictionary<long, Node> Peers { get; }

    /// <summary>Inbound filter rules; empty means nothing is accepted.</summary>
    public IReadOnlyList<FilterRule> PacketFilter { get; }

    public DnsConfig? Dns { get; }

    public IReadOnlyDictionary<long, UserProfile> UserProfiles { get; }

    /// <summary>The relays (and STUN servers) this node may use; null when the server runs none.</summary>
    public RelayMap? RelayMap { get; }

    /// <summary>Builds the first view from a full map.</summary>
    /// <exception cref="NetmapException">The map is not a full map or describes something unusable.</exception>
    public static Netmap FromFull(MapResponse full)
    {
        ArgumentNullException.ThrowIfNull(full);
        if (full.Peers is null || full.Self is null)
        {
            throw new NetmapException("a full map needs self and peers");
        }
        Validate(full.Self, "self");
        var peers = new Dictionary<long, Node>(full.Peers.Count);
        foreach (var peer in full.Peers)
        {
            Validate(peer, "peer");
            if (!peers.TryAdd(peer.Id, peer))
            {
                throw new NetmapException($"peer id {peer.Id} appears twice");
            }
        }
        ValidateFilter(full.PacketFilter);
        var users = new Dictionary<long, UserProfile>();
        foreach (var user in full.UserProfiles ?? [])
        {
            users[user.Id] = user;
        }
        return new Netmap(full.Self, peers.ToFrozenDictionary(), full.PacketFilter ?? [], full.Dns, users.ToFrozenDictionary(), full.RelayMap);
    }

    /// <summary>
    /// The view after <paramref name="message"/>: a full map replaces everything, a delta changes only
    /// the fields it carries; <paramref name="changes"/> says which parts differ.
    /// </summary>
    /// <exception cref="NetmapException">The message is malformed; this view stays as it is.</exception>
    public Netmap Apply(MapResponse message, out NetmapChanges changes)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Peers is not null)
        {
            var full = FromFull(message);
            changes = NetmapChanges.All;
            return full;
        }

        changes = NetmapChanges.None;
        var self = Self;
        if (message.Self is { } newSelf)
        {
            Validate(newSelf, "self");
            self = newSelf;
            changes |= NetmapChanges.Self;
        }

        Dictionary<long, Node>? peers = null;
        foreach (var changed in message.PeersChanged ?? [])
        {
            Validate(changed, "changed peer");
            peers ??= new Dictionary<long, Node>(Peers);
            peers[changed.Id] = changed;
        }
        foreach (var id in message.PeersRemoved ?? [])
        {
            peers ??= new Dictionary<long, Node>(Peers);
            // Removing a peer we never had is harmless: the server's view and ours agree now.
            peers.Remove(id);
        }
        foreach (var patch in message.PeersPatched ?? [])
        {
            peers ??= new Dictionary<long, Node>(Peers);
            if (!peers.TryGetValue(patch.Id, out var node))
            {
                throw new NetmapException($"patch for unknown peer {patch.Id}");
            }
            var patched = node with
            {
                Endpoints = patch.Endpoints ?? node.Endpoints,
                DiscoKey = patch.DiscoKey ?? node.DiscoKey,
                Online = patch.Online ?? node.Online,
                KeyExpiry = patch.KeyExpiry ?? node.KeyExpiry,
            };
            Validate(patched, "patched peer");
            peers[patch.Id] = patched;
        }
        if (peers is not null)
        {
            changes |= NetmapChanges.Peers;
        }

        var filter = PacketFilter;
        if (message.PacketFilter is { } newFilter)
        {
            ValidateFilter(newFilter);
            filter = newFilter;
            changes |= NetmapChanges.Filter;
        }

        var dns = Dns;
        if (message.Dns is { } newDns)
        {
            dns = newDns;
            changes |= NetmapChanges.Dns;
        }

        Dictionary<long, UserProfile>? users = null;
        foreach (var user in message.UserProfiles ?? [])
        {
            users ??= new Dictionary<long, UserProfile>(UserProfiles);
            users[user.Id] = user;
        }
        if (users is not null)
        {
            changes |= NetmapChanges.Users;
        }

        var relays = RelayMap;
        if (message.RelayMap is { } newRelays)
        {
            relays = newRelays;
            changes |= NetmapChanges.Relays;
        }

        if (changes == NetmapChanges.None)
        {
            return this;
        }
        return new Netmap(
            self,
            peers?.ToFrozenDictionary() ?? (FrozenDictionary<long, Node>)Peers,
            filter,
            dns,
            users?.ToFrozenDictionary() ?? (FrozenDictionary<long, UserProfile>)UserProfiles,
            relays);
    }

    /// <summary>This view as a full map, the form cached in the state directory.</summary>
    public MapResponse ToFullMap() => new()
    {
        Self = Self,
        Peers = [.. Peers.Values],
        PacketFilter = PacketFilter,
        Dns = Dns,
        UserProfiles = [.. UserProfiles.Values],
        RelayMap = RelayMap,
    };

    /// <summary>The peer owning <paramref name="address"/> (one of its addresses, not a routed subnet), or null.</summary>
    public Node? PeerByAddress(IPAddress address)
    {
        foreach (var peer in Peers.Values)
        {
            foreach (var prefix in peer.Addresses)
            {
                if (IPNetwork.TryParse(prefix, out var network) && network.BaseAddress.Equals(address))
                {
                    return peer;
                }
            }
        }
        return null;
    }

    /// <summary>Parses "host:port" and "[v6]:port" endpoints; null when it is neither.</summary>
    public static IPEndPoint? ParseEndpoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 && text.Contains(':', StringComparison.Ordinal) ? endpoint : null;

    private static void Validate(Node node, string what)
    {
        if (!NodePublic.TryParse(node.NodeKey, out _))
        {
            throw new NetmapException($"{what} {node.Id} has node key '{node.NodeKey}', not nodekey: and 64 hex digits");
        }
        if (node.Addresses is null || node.AllowedIPs is null || node.Endpoints is null)
        {
            throw new NetmapException($"{what} {node.Id} lacks addresses, allowed IPs or endpoints");
        }
        foreach (var prefix in node.Addresses)
        {
            if (!IPNetwork.TryParse(prefix, out _))
            {
                throw new NetmapException($"{what} {node.Id} has address '{prefix}', not a prefix");
            }
        }
        foreach (var prefix in node.AllowedIPs)
        {
            if (!IPNetwork.TryParse(prefix, out _))
            {
                throw new NetmapException($"{what} {node.Id} has allowed IP '{prefix}', not a prefix");
            }
        }
        foreach (var endpoint in node.Endpoints)
        {
            if (ParseEndpoint(endpoint) is null)
            {
                throw new NetmapException($"{what} {node.Id} has endpoint '{endpoint}', not address:port");
            }
        }
    }

    private static void ValidateFilter(IReadOnlyList<FilterRule>? rules)
    {
        if (rules is not null && !Weft.Core.Wire.PacketFilter.TryCreate(rules, out _, out var error))
        {
            throw new NetmapException($"packet filter unusable: {error}");
        }
    }
}

/// <summary>Which parts of a <see cref="Netmap"/> a message changed.</summary>
[Flags]
public enum NetmapChanges
{
    None = 0,
    Self = 1,
    Peers = 2,
    Filter = 4,
    Dns = 8,
    Users = 16,
    Relays = 32,
    All = Self | Peers | Filter | Dns | Users | Relays,
}

/// <summary>A map message the node cannot use; it is logged, counted and ignored.</summary>
public sealed class NetmapException(string message) : Exception(message);
