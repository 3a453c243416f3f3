using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Weft.Console.Tests.Fixtures;
using Weft.Control.Auth;
using Weft.Control.Console;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Console.Tests.Console;

/// <summary>
/// The console's actions check roles on the server for every call, against the user as the store has them
/// now: members see only their own machines and cannot open or change the policy, keys or users.
/// </summary>
public sealed class ConsoleActionsTests
{
    /// <summary>Stands in for Blazor's provider: the circuit's signed-in principal.</summary>
    private sealed class SignedIn(ClaimsPrincipal principal) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(principal));
    }

    private static ConsoleActions As(ConsoleHost host, UserRecord user) =>
        new(new ConsoleSession(new SignedIn(ConsoleClaims.Principal(user, "password")), host.Server.Service), host.Server.Service);

    private static async Task<NodeRecord> NodeOfAsync(ConsoleHost host, UserRecord user, string name, CancellationToken ct) =>
        await host.Server.Service.CreateNodeAsync(new NewNode(user.TailnetId, user.Id, "mkey:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), "nodekey:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            "", name, "{}", [], null, false, true), ct);

    [Fact]
    public async Task Member_SeesOnlyOwnMachines_AndIsDeniedAdminActions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var tailnet = await host.TailnetAsync(ct);
        var admin = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var member = await host.Store.CreateUserAsync(tailnet.Id, "bob@example.com", "Bob", PolicyRoles.Member, DateTimeOffset.UtcNow, ct);
        var adminNode = await NodeOfAsync(host, admin, "server", ct);
        var bobNode = await NodeOfAsync(host, member, "bobs-laptop", ct);
        var bob = As(host, member);

        var seen = await bob.MachinesAsync(ct);
        Assert.Equal([bobNode.Id], seen.Select(r => r.Node.Id));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.MachineAsync(adminNode.Id, ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.RemoveAsync(adminNode.Id, ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.PolicyAsync(ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.CheckPolicyAsync("{\"acls\": []}", save: true, ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.UsersAsync(ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.CreateAuthKeyAsync(true, false, true, [], 1, ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => bob.SetTagsAsync(bobNode.Id, [], ct));
        Assert.NotNull(await host.Store.GetNodeAsync(adminNode.Id, ct));

        // Their own machine they may rename.
        Assert.Null(await bob.RenameAsync(bobNode.Id, "bob-laptop", ct));
        Assert.Equal("bob-laptop", (await host.Store.GetNodeAsync(bobNode.Id, ct))!.Name);

        // Promoted, the same session may act at once: the role is read from the store on each call.
        await host.Server.Service.SetUserRoleAsync(member, PolicyRoles.Admin, ct);
        Assert.Equal(2, (await bob.MachinesAsync(ct)).Count);
        Assert.NotEmpty(await bob.PolicyAsync(ct));
    }

    [Fact]
    public async Task Admin_RenameToTakenOrInvalidName_IsRefusedWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var admin = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var a = await NodeOfAsync(host, admin, "alpha", ct);
        await NodeOfAsync(host, admin, "beta", ct);
        var actions = As(host, admin);

        Assert.Contains("taken", await actions.RenameAsync(a.Id, "beta", ct), StringComparison.Ordinal);
        Assert.Contains("not a machine name", await actions.RenameAsync(a.Id, "Bad Name!", ct), StringComparison.Ordinal);
        Assert.Equal("alpha", (await host.Store.GetNodeAsync(a.Id, ct))!.Name);
    }

    [Fact]
    public async Task Policy_SyntaxErrorNamesItsLine_FailingTestIsNotSaved()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var admin = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var actions = As(host, admin);
        var before = await actions.PolicyAsync(ct);

        var syntax = await actions.CheckPolicyAsync("{\n  \"acls\": [\n    {\"action\": \"accept\",, }\n  ]\n}", save: true, ct);
        Assert.Contains(3, PolicyProblems.Lines(syntax));

        var failing = """
            {
              "acls": [{"action": "accept", "src": ["autogroup:admin"], "dst": ["*:22"]}],
              "tests": [{"src": "admin@example.com", "accept": ["100.64.0.9:80"]}],
            }
            """;
        Assert.NotEmpty(await actions.CheckPolicyAsync(failing, save: true, ct));
        Assert.Equal(before, await actions.PolicyAsync(ct));
        Assert.Single(await actions.PolicyHistoryAsync(ct));
    }

    [Fact]
    public async Task KeyExpiryDays_AdminSetsIt_MemberIsDenied_OutOfRangeIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var tailnet = await host.TailnetAsync(ct);
        var admin = As(host, (await host.UserAsync(ConsoleHost.AdminEmail, ct))!);
        var member = As(host, await host.Store.CreateUserAsync(tailnet.Id, "m@example.com", "M", PolicyRoles.Member, DateTimeOffset.UtcNow, ct));

        Assert.Null(await admin.SetKeyExpiryDaysAsync(30, ct));
        Assert.Equal(30, (await admin.SettingsAsync(ct)).KeyExpiryDays);
        Assert.NotNull(await admin.SetKeyExpiryDaysAsync(-1, ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => member.SetKeyExpiryDaysAsync(1, ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => member.SettingsAsync(ct));
        Assert.Equal(30, (await host.TailnetAsync(ct)).KeyExpiryDays);
    }

    [Fact]
    public async Task RemoveUser_TakesTheirMachines_RefusesOwnersOneselfAndMembers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var tailnet = await host.TailnetAsync(ct);
        var owner = (await host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        var admin = await host.Store.CreateUserAsync(tailnet.Id, "ann@example.com", "Ann", PolicyRoles.Admin, DateTimeOffset.UtcNow, ct);
        var member = await host.Store.CreateUserAsync(tailnet.Id, "bob@example.com", "Bob", PolicyRoles.Member, DateTimeOffset.UtcNow, ct);
        var leaver = await host.Store.CreateUserAsync(tailnet.Id, "lee@example.com", "Lee", PolicyRoles.Member, DateTimeOffset.UtcNow, ct);
        var leaversNode = await NodeOfAsync(host, leaver, "lees-laptop", ct);
        var ann = As(host, admin);

        await Assert.ThrowsAsync<ConsoleDeniedException>(() => As(host, member).RemoveUserAsync(leaver.Id, ct));
        Assert.Contains("owner", await ann.RemoveUserAsync(owner.Id, ct), StringComparison.Ordinal);
        Assert.Contains("yourself", await ann.RemoveUserAsync(admin.Id, ct), StringComparison.Ordinal);
        Assert.Contains("not found", await ann.RemoveUserAsync(987654, ct), StringComparison.Ordinal);
        Assert.Equal(4, (await ann.UsersAsync(ct)).Count);

        Assert.Null(await ann.RemoveUserAsync(leaver.Id, ct));
        Assert.DoesNotContain(await ann.UsersAsync(ct), u => u.Id == leaver.Id);
        Assert.Null(await host.Store.GetNodeAsync(leaversNode.Id, ct));
    }

    [Fact]
    public async Task RenameTailnet_AdminRenames_BadOrTakenNamesAreRefused_MemberIsDenied()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var tailnet = await host.TailnetAsync(ct);
        await host.Server.Service.EnsureTailnetAsync("taken-net", ct);
        var admin = As(host, (await host.UserAsync(ConsoleHost.AdminEmail, ct))!);
        var member = As(host, await host.Store.CreateUserAsync(tailnet.Id, "m@example.com", "M", PolicyRoles.Member, DateTimeOffset.UtcNow, ct));

        Assert.Contains("not '/'", await admin.RenameTailnetAsync("a/b", null, ct), StringComparison.Ordinal);
        Assert.Contains("another tailnet", await admin.RenameTailnetAsync("Taken-Net", null, ct), StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => member.RenameTailnetAsync("mine", null, ct));
        Assert.Equal(tailnet.Name, (await host.TailnetAsync(ct)).Name);

        // The name alone leaves machine names as they are; a domain given changes them too.
        Assert.Null(await admin.RenameTailnetAsync(" acme ", null, ct));
        Assert.Equal(("acme", tailnet.Domain), ((await host.TailnetAsync(ct)).Name, (await host.TailnetAsync(ct)).Domain));
        Assert.NotNull(await admin.RenameTailnetAsync("acme", "not a domain", ct));
        Assert.Null(await admin.RenameTailnetAsync("acme", "acme.example.test", ct));
        Assert.Equal("acme.example.test", (await host.TailnetAsync(ct)).Domain);
    }

    [Fact]
    public async Task RelayMap_OnlyServerAdmins_InvalidIsRefused_ValidIsServedAndReset()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        var service = host.Server.Service;
        var admin = As(host, (await host.UserAsync(ConsoleHost.AdminEmail, ct))!);
        var (other, _) = await service.EnsureTailnetAsync("partner-test", ct);
        var otherOwner = As(host, (await service.CreateUserAsync(other.Id, "olga@partner.test", "Olga", PolicyRoles.Owner, ct))!);

        // The map is the server's: an owner of another tailnet neither reads nor changes it.
        Assert.False(await otherOwner.IsServerAdminAsync(ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => otherOwner.RelayMapAsync(ct));
        await Assert.ThrowsAsync<ConsoleDeniedException>(() => otherOwner.SetRelayMapAsync("{\"regions\": []}", ct));

        Assert.True(await admin.IsServerAdminAsync(ct));
        var (json, overridden, _) = await admin.RelayMapAsync(ct);
        Assert.False(overridden);
        Assert.Contains("regions", json, StringComparison.Ordinal);
        Assert.NotEmpty(await admin.SetRelayMapAsync("{ not json", ct));
        Assert.Null(service.RelayMapOverride);

        const string Valid = """{"embedded": true, "regions": [{"id": 901, "code": "lab", "name": "Lab", "relays": [{"url": "https://127.0.0.1:4443"}]}]}""";
        Assert.Empty(await admin.SetRelayMapAsync(Valid, ct));
        var (_, nowOverridden, effective) = await admin.RelayMapAsync(ct);
        Assert.True(nowOverridden);
        Assert.Contains(effective!.Regions, r => r.Code == "lab");

        await admin.ResetRelayMapAsync(ct);
        Assert.False((await admin.RelayMapAsync(ct)).Overridden);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"netInfo\": {\"relayedPeers\": 1}}")]
    [InlineData("not json")]
    public void HostOf_ANodeThatReportsLess_ReadsAsEmptyText(string stored)
    {
        var node = new NodeRecord
        {
            Id = 1, TailnetId = 1, UserId = 1, MachineKey = "", NodeKey = "", DiscoKey = "", Name = "n", HostInfo = stored,
            IPv4 = System.Net.IPAddress.Loopback, IPv6 = System.Net.IPAddress.IPv6Loopback, Tags = [], Endpoints = [], Created = DateTimeOffset.UnixEpoch,
            LastSeen = DateTimeOffset.UnixEpoch, KeyExpiry = null, Ephemeral = false, Authorized = true,
        };
        var host = ConsoleActions.HostOf(node);
        Assert.Equal(("", "", ""), (host.Hostname, host.OS, host.ClientVersion));
        var row = new MachineRow(node, "owner", host, Online: true, Expired: false);
        Assert.Equal(stored.Contains("relayedPeers", StringComparison.Ordinal) ? "relay" : null, row.PathSummary);
        Assert.NotEmpty(row.Stamp);
    }

    [Fact]
    public void LineDiff_MarksRemovedAndAddedLines()
    {
        var diff = LineDiff.Compute("a\nb\nc", "a\nx\nc\nd");
        Assert.Equal([(' ', "a"), ('-', "b"), ('+', "x"), (' ', "c"), ('+', "d")], diff);
    }
}
