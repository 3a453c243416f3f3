using Weft.Core.Control;
using Weft.Core.Keys;

namespace Weft.Node.Tests.ControlLoop;

using Node = Weft.Core.Control.Node;

/// <summary>Netmap nodes for tests: node n is 100.64.0.n with a fresh key.</summary>
internal static class TestNodes
{
    public static Node Make(long id, string? endpoint = null, string? nodeKey = null) => new()
    {
        Id = id,
        Name = $"node{id}",
        Fqdn = $"node{id}.example.weft.internal",
        UserId = 1,
        NodeKey = nodeKey ?? new NodePublic(PrivateKey.Generate().PublicKey()).ToString(),
        MachineKey = new MachinePublic(PrivateKey.Generate().PublicKey()).ToString(),
        DiscoKey = new DiscoPublic(PrivateKey.Generate().PublicKey()).ToString(),
        Addresses = [$"100.64.0.{id}/32", $"fd7a:115c:a1e0::{id}/128"],
        AllowedIPs = [$"100.64.0.{id}/32", $"fd7a:115c:a1e0::{id}/128"],
        Endpoints = endpoint is null ? [] : [endpoint],
        Online = true,
    };

    public static MapResponse Full(Node self, params Node[] peers) => new()
    {
        Self = self,
        Peers = peers,
        PacketFilter = [],
        Dns = new DnsConfig { Domain = "example.weft.internal", MagicDns = true },
        UserProfiles = [new UserProfile(1, "alice@example.com", "Alice")],
    };
}
