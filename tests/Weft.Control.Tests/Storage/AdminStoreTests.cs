using System.Net;
using Weft.Control.Storage;
using Weft.Control.Tests.Fixtures;

namespace Weft.Control.Tests.Storage;

/// <summary>Schema version 2 (roles, API key listing, DNS settings, subnet routes) against both stores.</summary>
public sealed class AdminStoreTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static TheoryData<string> Stores => ["sqlite", "postgres"];

    private async Task<(IControlStore Store, Func<Task> Cleanup)> OpenAsync(string kind, CancellationToken ct)
    {
        if (kind == "sqlite")
        {
            var dir = new TempDir();
            var store = await SqliteControlStore.OpenAsync(dir.File("control.db"), ct);
            return (store, async () =>
            {
                await store.DisposeAsync();
                dir.Dispose();
            });
        }

        var cs = await postgres.CreateDatabaseAsync(ct);
        var pg = await PostgresControlStore.OpenAsync(cs, ct);
        return (pg, async () =>
        {
            await pg.DisposeAsync();
            await postgres.DropDatabaseAsync(cs);
        });
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AdminData_RoundTrips_AndRoutesGoWithTheirNode(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var (store, cleanup) = await OpenAsync(kind, ct);
        try
        {
            var t = await store.CreateTailnetAsync("t", "t.example", Now, ct);
            var u = await store.CreateUserAsync(t.Id, "bob", "Bob", "member", Now, ct);
            Assert.True(await store.SetUserRoleAsync(u.Id, "admin", ct));
            Assert.Equal("admin", (await store.GetUserAsync(u.Id, ct))!.Role);
            Assert.False(await store.SetUserRoleAsync(u.Id + 100, "admin", ct));

            var (k1, _) = await store.CreateApiKeyAsync(t.Id, u.Id, TimeSpan.FromDays(1), Now, ct);
            var (k2, secret2) = await store.CreateApiKeyAsync(t.Id, u.Id, TimeSpan.FromDays(2), Now, ct);
            Assert.Equal([k1.Id, k2.Id], (await store.ListApiKeysAsync(t.Id, ct)).Select(k => k.Id));
            Assert.True(await store.DeleteApiKeyAsync(k2.Id, ct));
            Assert.False(await store.DeleteApiKeyAsync(k2.Id, ct));
            Assert.Null(await store.AuthenticateApiKeyAsync(secret2, Now, ct));
            Assert.Equal(k1.Id, Assert.Single(await store.ListApiKeysAsync(t.Id, ct)).Id);

            Assert.Null(await store.GetDnsAsync(t.Id, ct));
            await store.SetDnsAsync(t.Id, "{\"a\":1}", ct);
            await store.SetDnsAsync(t.Id, "{\"a\":2}", ct);
            Assert.Equal("{\"a\":2}", await store.GetDnsAsync(t.Id, ct));

            var n = await store.CreateNodeAsync(new NewNode(t.Id, u.Id, "mkey:1", "nodekey:1", "", "router", "{}", [], null, false, true), Now, ct);
            Assert.Empty(await store.ListRoutesAsync(t.Id, ct));
            Assert.True(await store.SetRoutesAsync(n.Id, new NodeRoutes(["10.0.0.0/24", "10.1.0.0/24"], ["10.0.0.0/24"]), ct));
            var routes = (await store.ListRoutesAsync(t.Id, ct))[n.Id];
            Assert.Equal(["10.0.0.0/24", "10.1.0.0/24"], routes.Advertised);
            Assert.Equal(["10.0.0.0/24"], routes.Approved);
            Assert.False(await store.SetRoutesAsync(n.Id + 100, NodeRoutes.None, ct));

            Assert.True(await store.DeleteNodeAsync(n.Id, ct));
            Assert.Empty(await store.ListRoutesAsync(t.Id, ct));
        }
        finally
        {
            await cleanup();
        }
    }

    [Fact]
    public void DnsSettings_UnreadableStoredText_GivesDefaults()
    {
        Assert.True(DnsSettings.FromJson("{not json").MagicDns);
        var s = new DnsSettings { MagicDns = false, Nameservers = ["192.0.2.1"] };
        Assert.Equal(["192.0.2.1"], DnsSettings.FromJson(s.ToJson()).Nameservers);
        Assert.True(IPAddress.TryParse(DnsSettings.FromJson(s.ToJson()).Nameservers[0], out _));
    }
}
