using System.Net;
using System.Text.Json;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Policy;

namespace Weft.Control.Map;

/// <summary>Turns stored records into wire nodes and policy nodes.</summary>
internal static class NetmapBuilder
{
    /// <summary>The wire description of a node.</summary>
    public static Node ToWire(NodeRecord n, string domain, bool online, IReadOnlyList<IPNetwork>? approvedRoutes = null)
    {
        string[] addresses = [$"{n.IPv4}/32", $"{n.IPv6}/128"];
        var allowed = addresses;
        if (approvedRoutes is { Count: > 0 })
        {
            // Peers route an approved subnet through this node, so its WireGuard allowed IPs cover it.
            allowed = new string[addresses.Length + approvedRoutes.Count];
            addresses.CopyTo(allowed, 0);
            for (var i = 0; i < approvedRoutes.Count; i++)
            {
                allowed[addresses.Length + i] = approvedRoutes[i].ToString();
            }
        }

        return new Node
        {
            Id = n.Id,
            Name = n.Name,
            Fqdn = $"{n.Name}.{domain}",
            UserId = n.UserId,
            NodeKey = n.NodeKey,
            MachineKey = n.MachineKey,
            DiscoKey = n.DiscoKey,
            Addresses = addresses,
            AllowedIPs = allowed,
            Endpoints = n.Endpoints,
            Tags = n.Tags,
            HostInfo = ParseHostInfo(n.HostInfo),
            KeyExpiry = n.KeyExpiry,
            Online = online,
        };
    }

    /// <summary>What the policy needs to know about a node.</summary>
    public static PolicyNode ToPolicy(NodeRecord n, UserRecord? user, IReadOnlyList<IPNetwork>? approvedRoutes = null) =>
        new(n.Id, user?.Login, user?.Role ?? PolicyRoles.Member, n.Tags, n.IPv4, n.IPv6, approvedRoutes ?? Array.Empty<IPNetwork>());

    /// <summary>Route strings as stored, parsed; ones that do not parse are skipped (they were validated when saved).</summary>
    public static IReadOnlyList<IPNetwork> ParseRoutes(IReadOnlyList<string> routes)
    {
        if (routes.Count == 0)
        {
            return Array.Empty<IPNetwork>();
        }

        var list = new List<IPNetwork>(routes.Count);
        foreach (var r in routes)
        {
            if (IPNetwork.TryParse(r, out var net))
            {
                list.Add(net);
            }
        }

        return list;
    }

    /// <summary>Host info JSON as stored; an unreadable value becomes empty rather than failing a map.</summary>
    public static HostInfo ParseHostInfo(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ControlJsonContext.Default.HostInfo) ?? new HostInfo();
        }
        catch (JsonException)
        {
            return new HostInfo();
        }
    }

    /// <summary>Host info as stored.</summary>
    public static string HostInfoJson(HostInfo info) => JsonSerializer.Serialize(info, ControlJsonContext.Default.HostInfo);
}
