using System.Net;

namespace Weft.Policy.Tests;

/// <summary>A small realistic tailnet and its policy, shared by the compile, visibility and tests-section tests.</summary>
internal static class TestTailnet
{
    public const string PolicyText = """
        {
          // People.
          "groups": {
            "group:eng": ["alice@example.com", "bob@example.com"],
            "group:ops": ["carol@example.com"],
          },
          "hosts": {
            "db": "100.64.0.10",
            "office-lan": "192.168.10.0/24",
          },
          "tagOwners": {
            "tag:server": ["group:ops"],
            "tag:router": ["autogroup:admin"],
            "tag:exit": ["tag:router"],
          },
          "acls": [
            { "action": "accept", "src": ["group:eng"], "dst": ["tag:server:22,80-81"] },
            { "action": "accept", "src": ["group:ops"], "dst": ["tag:server:*", "office-lan:*"] },
            { "action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"] },
            { "action": "accept", "src": ["autogroup:admin"], "dst": ["db:5432"], "proto": "tcp" },
            { "action": "accept", "src": ["group:eng"], "dst": ["autogroup:internet:*"] },
          ],
          "grants": [
            { "src": ["tag:server"], "dst": ["db"], "ip": ["tcp:5432", "icmp"] },
          ],
          "autoApprovers": {
            "routes": { "192.168.0.0/16": ["tag:router"] },
            "exitNode": ["tag:exit"],
          },
          "tests": [
            { "src": "alice@example.com", "accept": ["tag:server:22", "tag:server:81"], "deny": ["tag:server:443", "db:5432"] },
            { "src": "carol@example.com", "accept": ["db:5432", "192.168.10.20:3389"] },
          ],
        }
        """;

    public static readonly PolicyNode AliceLaptop = Node(1, "alice@example.com", PolicyRoles.Member, []);
    public static readonly PolicyNode AlicePhone = Node(2, "alice@example.com", PolicyRoles.Member, []);
    public static readonly PolicyNode Bob = Node(3, "bob@example.com", PolicyRoles.Member, []);
    public static readonly PolicyNode Carol = Node(4, "carol@example.com", PolicyRoles.Admin, []);
    public static readonly PolicyNode Server = Node(5, "carol@example.com", PolicyRoles.Admin, ["tag:server"]);
    public static readonly PolicyNode Db = Node(10, "carol@example.com", PolicyRoles.Admin, ["tag:server"]);
    public static readonly PolicyNode Router = Node(7, "carol@example.com", PolicyRoles.Admin, ["tag:router", "tag:exit"],
        IPNetwork.Parse("192.168.10.0/24"), IPNetwork.Parse("0.0.0.0/0"), IPNetwork.Parse("::/0"));
    public static readonly PolicyNode Dave = Node(8, "dave@example.com", PolicyRoles.Member, []);

    public static readonly PolicyNode[] All = [AliceLaptop, AlicePhone, Bob, Carol, Server, Db, Router, Dave];

    public static Policy Realistic => ParseOrThrow(PolicyText);

    /// <summary>A node whose addresses are 100.64.0.{id} and fd7a:115c:a1e0::{id}.</summary>
    public static PolicyNode Node(long id, string? user, string role, string[] tags, params IPNetwork[] routes) =>
        new(id, user, role, tags, IPAddress.Parse($"100.64.0.{id}"), IPAddress.Parse($"fd7a:115c:a1e0::{id:x}"), routes);

    public static Policy ParseOrThrow(string text)
    {
        var result = Policy.Parse(text);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Policy;
    }
}
