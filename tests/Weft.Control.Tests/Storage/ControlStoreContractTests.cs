using System.Data.Common;
using System.Net;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Storage;

/// <summary>
/// What every <see cref="IControlStore"/> must do, whatever the database behind it. A subclass supplies a
/// fresh empty database per test and opens stores on it; opening a second store on the same database
/// stands for a restart, or for another server replica when both stay open.
/// </summary>
public abstract partial class ControlStoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly List<IControlStore> _opened = [];

    protected IControlStore Store { get; private set; } = null!;

    protected TailnetRecord Tailnet { get; private set; } = null!;

    protected UserRecord User { get; private set; } = null!;

    /// <summary>Prepares an empty database for this test (may skip the test when its server is unavailable).</summary>
    protected abstract Task CreateDatabaseAsync(CancellationToken ct);

    /// <summary>Opens a store on this test's database, migrating it when needed.</summary>
    protected abstract Task<IControlStore> OpenStoreCoreAsync(CancellationToken ct);

    /// <summary>The migration versions recorded in the database of <paramref name="store"/>.</summary>
    protected abstract Task<IReadOnlyList<int>> AppliedMigrationsAsync(IControlStore store, CancellationToken ct);

    /// <summary>Deletes this test's database once its stores are closed.</summary>
    protected abstract Task DropDatabaseAsync();

    /// <summary>Opens another store on this test's database; it is disposed with the test.</summary>
    protected async Task<IControlStore> OpenStoreAsync(CancellationToken ct)
    {
        var store = await OpenStoreCoreAsync(ct);
        _opened.Add(store);
        return store;
    }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await CreateDatabaseAsync(ct);
        Store = await OpenStoreAsync(ct);
        Tailnet = await Store.CreateTailnetAsync("example", "example.weft.internal", Now, ct);
        User = await Store.CreateUserAsync(Tailnet.Id, "alice@example.com", "Alice", "admin", Now, ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        _opened.Clear();
        await DropDatabaseAsync();
        GC.SuppressFinalize(this);
    }

    protected NewNode Node(string host, string nodeKey, long? tailnet = null) =>
        new(tailnet ?? Tailnet.Id, User.Id, "mkey:" + nodeKey, nodeKey, "discokey:" + nodeKey, host, "{\"OS\":\"linux\"}", [], Now.AddDays(180), Ephemeral: false, Authorized: true);

    private static AuthKeyOptions KeyOptions(bool reusable, TimeSpan? lifetime = null) => new(reusable, Ephemeral: false, Preauthorized: true, ["tag:server"], lifetime ?? TimeSpan.FromDays(1));

    // ---- schema ----

    [Fact]
    public async Task Open_FreshDatabase_AppliesEveryMigrationOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var every = Enumerable.Range(1, Schema.Migrations.Length).ToArray();
        Assert.Equal(every, await AppliedMigrationsAsync(Store, ct));
        var again = await OpenStoreAsync(ct);
        Assert.Equal(every, await AppliedMigrationsAsync(again, ct));
        Assert.Equal(Store.UlaPrefix, again.UlaPrefix);
    }

    [Fact]
    public void UlaPrefix_IsRandomUlaSlash48()
    {
        Assert.Equal(48, Store.UlaPrefix.PrefixLength);
        Assert.Equal(0xfd, Store.UlaPrefix.BaseAddress.GetAddressBytes()[0]);
    }

    // ---- tailnets and users ----

    [Fact]
    public async Task CreateTailnet_ListedOldestFirstAndFoundById()
    {
        var ct = TestContext.Current.CancellationToken;
        var second = await Store.CreateTailnetAsync("second", "second.weft.internal", Now.AddMinutes(1), ct);
        Assert.Equal([Tailnet, second], await Store.ListTailnetsAsync(ct));
        Assert.Equal(second, await Store.GetTailnetAsync(second.Id, ct));
        Assert.Null(await Store.GetTailnetAsync(second.Id + 1000, ct));
        Assert.Equal(180, second.KeyExpiryDays);
    }

    [Fact]
    public async Task CreateTailnet_DuplicateName_IsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAnyAsync<DbException>(() => Store.CreateTailnetAsync("example", "other.weft.internal", Now, ct));
        Assert.Single(await Store.ListTailnetsAsync(ct));
    }

    [Fact]
    public async Task CreateTailnet_StartsWithDefaultPolicy()
    {
        var ct = TestContext.Current.CancellationToken;
        var policy = await Store.GetPolicyAsync(Tailnet.Id, ct);
        Assert.True(Weft.Policy.Policy.Parse(policy.Text).Success);
        Assert.Null(policy.UserId);
        Assert.Single(await Store.ListPolicyHistoryAsync(Tailnet.Id, ct));
    }

    [Fact]
    public async Task CreateUser_ListedByTailnetAndFoundById()
    {
        var ct = TestContext.Current.CancellationToken;
        var bob = await Store.CreateUserAsync(Tailnet.Id, "bob@example.com", "Bob", "member", Now, ct);
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        var carol = await Store.CreateUserAsync(other.Id, "carol@example.com", "Carol", "owner", Now, ct);
        Assert.Equal([User, bob], await Store.ListUsersAsync(Tailnet.Id, ct));
        Assert.Equal([carol], await Store.ListUsersAsync(other.Id, ct));
        Assert.Equal(bob, await Store.GetUserAsync(bob.Id, ct));
        Assert.Null(await Store.GetUserAsync(carol.Id + 1000, ct));
    }

    [Fact]
    public async Task CreateUser_SameLoginSameTailnet_IsRejected_OtherTailnet_IsAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAnyAsync<DbException>(() => Store.CreateUserAsync(Tailnet.Id, "alice@example.com", "Alice 2", "member", Now, ct));
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        var alice2 = await Store.CreateUserAsync(other.Id, "alice@example.com", "Alice", "member", Now, ct);
        Assert.Equal(other.Id, alice2.TailnetId);
    }

    // ---- nodes ----

    [Fact]
    public async Task CreateNode_IsFoundByIdNodeKeyAndMachine()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        AssertSameNode(a, await Store.GetNodeAsync(a.Id, ct));
        AssertSameNode(a, await Store.GetNodeByNodeKeyAsync("k1", ct));
        AssertSameNode(a, await Store.GetNodeByMachineAsync(Tailnet.Id, "mkey:k1", User.Id, ct));
        Assert.Null(await Store.GetNodeByMachineAsync(Tailnet.Id, "mkey:k1", User.Id + 1000, ct));
        Assert.Null(await Store.GetNodeByNodeKeyAsync("k2", ct));
        Assert.Null(await Store.GetNodeAsync(a.Id + 1000, ct));
        Assert.Equal(Now, a.Created);
        Assert.Equal(Now, a.LastSeen);
        Assert.Empty(a.Endpoints);
    }

    [Fact]
    public async Task CreateNode_SameMachineAnotherUser_IsAnotherNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var bob = await Store.CreateUserAsync(Tailnet.Id, "bob@example.com", "Bob", "member", Now, ct);
        var asAlice = await Store.CreateNodeAsync(Node("laptop", "k1"), Now, ct);
        var asBob = await Store.CreateNodeAsync(Node("laptop", "k2") with { UserId = bob.Id, MachineKey = "mkey:k1" }, Now, ct);
        Assert.NotEqual(asAlice.Id, asBob.Id);
        Assert.Equal(asBob.Id, (await Store.GetNodeByMachineAsync(Tailnet.Id, "mkey:k1", bob.Id, ct))?.Id);
        Assert.Equal(asAlice.Id, (await Store.GetNodeByMachineAsync(Tailnet.Id, "mkey:k1", User.Id, ct))?.Id);
    }

    [Fact]
    public async Task ListNodes_ByTailnetOrAll_InIdOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var b = await Store.CreateNodeAsync(Node("b", "k2", other.Id), Now, ct);
        var c = await Store.CreateNodeAsync(Node("c", "k3"), Now, ct);
        Assert.Equal([a.Id, c.Id], (await Store.ListNodesAsync(Tailnet.Id, ct)).Select(n => n.Id));
        Assert.Equal([b.Id], (await Store.ListNodesAsync(other.Id, ct)).Select(n => n.Id));
        Assert.Equal([a.Id, b.Id, c.Id], (await Store.ListNodesAsync(null, ct)).Select(n => n.Id));
    }

    [Fact]
    public async Task CreateNode_AllocatesDistinctAddressesInRanges()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var b = await Store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        var v4 = IPNetwork.Parse("100.64.0.0/10");
        Assert.True(v4.Contains(a.IPv4) && v4.Contains(b.IPv4));
        Assert.True(Store.UlaPrefix.Contains(a.IPv6) && Store.UlaPrefix.Contains(b.IPv6));
        Assert.NotEqual(a.IPv4, b.IPv4);
        Assert.NotEqual(a.IPv6, b.IPv6);
    }

    [Fact]
    public async Task UpdateNode_ChangesMutableFieldsAndKeepsAddresses()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var updated = node with
        {
            NodeKey = "k1-rotated",
            DiscoKey = "discokey:new",
            Name = "renamed",
            HostInfo = "{\"OS\":\"macOS\"}",
            Tags = ["tag:server", "tag:db"],
            Endpoints = ["192.0.2.1:41641", "[2001:db8::1]:41641"],
            LastSeen = Now.AddHours(1),
            KeyExpiry = null,
            Ephemeral = true,
            Authorized = false,
        };
        Assert.True(await Store.UpdateNodeAsync(updated, ct));
        var read = await Store.GetNodeAsync(node.Id, ct);
        AssertSameNode(updated, read);
        Assert.Equal(node.IPv4, read!.IPv4);
        Assert.Equal(node.IPv6, read.IPv6);
        Assert.Null(await Store.GetNodeByNodeKeyAsync("k1", ct));
        Assert.Equal(node.Id, (await Store.GetNodeByNodeKeyAsync("k1-rotated", ct))?.Id);
    }

    [Fact]
    public async Task UpdateNode_Missing_ReturnsFalse()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        Assert.True(await Store.DeleteNodeAsync(node.Id, ct));
        Assert.False(await Store.UpdateNodeAsync(node with { LastSeen = Now.AddHours(1) }, ct));
    }

    [Fact]
    public async Task UpdateNode_NameTakenByAnother_Throws()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        await Store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.UpdateNodeAsync(a with { Name = "b" }, ct));
        Assert.Equal("a", (await Store.GetNodeAsync(a.Id, ct))!.Name);
    }

    [Fact]
    public async Task DeleteNode_RemovesItOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        Assert.True(await Store.DeleteNodeAsync(a.Id, ct));
        Assert.False(await Store.DeleteNodeAsync(a.Id, ct));
        Assert.Null(await Store.GetNodeAsync(a.Id, ct));
        Assert.Empty(await Store.ListNodesAsync(Tailnet.Id, ct));
    }

    [Fact]
    public async Task CreateNode_AfterDelete_NeverReusesAddressesOfLivingNodes()
    {
        var ct = TestContext.Current.CancellationToken;
        var nodes = new List<NodeRecord>();
        for (var i = 0; i < 6; i++)
        {
            nodes.Add(await Store.CreateNodeAsync(Node("n", "k" + i), Now, ct));
        }

        // Delete the highest and one in the middle: neither may be handed to a node while another holds it.
        Assert.True(await Store.DeleteNodeAsync(nodes[5].Id, ct));
        Assert.True(await Store.DeleteNodeAsync(nodes[2].Id, ct));
        for (var i = 6; i < 10; i++)
        {
            await Store.CreateNodeAsync(Node("n", "k" + i), Now, ct);
        }

        var living = await Store.ListNodesAsync(Tailnet.Id, ct);
        Assert.Equal(8, living.Count);
        Assert.Equal(living.Count, living.Select(n => n.IPv4).Distinct().Count());
        Assert.Equal(living.Count, living.Select(n => n.IPv6).Distinct().Count());
        Assert.Equal(living.Count, living.Select(n => n.Name).Distinct().Count());
    }

    [Fact]
    public async Task NodeAddresses_AreStableAcrossUpdatesAndReopen()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        await Store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        Assert.True(await Store.UpdateNodeAsync(a with { NodeKey = "k1b", LastSeen = Now.AddDays(1) }, ct));
        var reopened = await OpenStoreAsync(ct);
        var read = await reopened.GetNodeAsync(a.Id, ct);
        Assert.Equal(a.IPv4, read!.IPv4);
        Assert.Equal(a.IPv6, read.IPv6);
    }

    [Fact]
    public async Task CreateNode_SameHostname_GetsSuffixedDnsSafeNames()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await Store.CreateNodeAsync(Node("laptop", "k1"), Now, ct);
        var b = await Store.CreateNodeAsync(Node("Laptop", "k2"), Now, ct);
        var c = await Store.CreateNodeAsync(Node("LAPTOP!", "k3"), Now, ct);
        var d = await Store.CreateNodeAsync(Node("Alice's MacBook Pro", "k4"), Now, ct);
        Assert.Equal(["laptop", "laptop-1", "laptop-2", "alice-s-macbook-pro"], new[] { a.Name, b.Name, c.Name, d.Name });
    }

    [Fact]
    public async Task CreateNode_NameFreedByDelete_IsTakenAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreateNodeAsync(Node("laptop", "k1"), Now, ct);
        var second = await Store.CreateNodeAsync(Node("laptop", "k2"), Now, ct);
        await Store.CreateNodeAsync(Node("laptop", "k3"), Now, ct);
        Assert.True(await Store.DeleteNodeAsync(second.Id, ct));
        Assert.Equal("laptop-1", (await Store.CreateNodeAsync(Node("laptop", "k4"), Now, ct)).Name);
    }

    [Fact]
    public async Task CreateNode_SameNameInOtherTailnet_IsAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        var a = await Store.CreateNodeAsync(Node("laptop", "k1"), Now, ct);
        var b = await Store.CreateNodeAsync(Node("laptop", "k2", other.Id), Now, ct);
        Assert.Equal("laptop", a.Name);
        Assert.Equal("laptop", b.Name);
        Assert.NotEqual(a.IPv4, b.IPv4);
    }

    [Fact]
    public async Task CreateNode_DuplicateNodeKey_IsRejectedAndLeavesNoRow()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        await Assert.ThrowsAnyAsync<DbException>(() => Store.CreateNodeAsync(Node("b", "k1"), Now, ct));
        Assert.Single(await Store.ListNodesAsync(Tailnet.Id, ct));
    }

    [Fact]
    public async Task CreateNode_UnknownUser_IsRejectedByForeignKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAnyAsync<DbException>(() => Store.CreateNodeAsync(Node("b", "k2") with { UserId = User.Id + 1000 }, Now, ct));
        Assert.Empty(await Store.ListNodesAsync(null, ct));
    }

    [Fact]
    public async Task CreateNode_ConcurrentOnSeveralReplicas_GetUniqueAddressesAndNames()
    {
        var ct = TestContext.Current.CancellationToken;
        const int Replicas = 3;
        const int PerReplica = 15;
        var stores = new List<IControlStore> { Store };
        for (var i = 1; i < Replicas; i++)
        {
            stores.Add(await OpenStoreAsync(ct));
        }

        var work = new List<Task<NodeRecord>>();
        for (var i = 0; i < Replicas * PerReplica; i++)
        {
            var store = stores[i % Replicas];
            var node = Node("laptop", "k" + i);
            work.Add(Task.Run(() => store.CreateNodeAsync(node, Now, ct), ct));
        }

        var created = await Task.WhenAll(work);
        var total = Replicas * PerReplica;
        Assert.Equal(total, created.Select(n => n.IPv4).Distinct().Count());
        Assert.Equal(total, created.Select(n => n.IPv6).Distinct().Count());
        var expectedNames = new[] { "laptop" }.Concat(Enumerable.Range(1, total - 1).Select(i => $"laptop-{i}")).Order(StringComparer.Ordinal);
        Assert.Equal(expectedNames, created.Select(n => n.Name).Order(StringComparer.Ordinal));

        // What each caller was told is what the database holds.
        var stored = await Store.ListNodesAsync(Tailnet.Id, ct);
        Assert.Equal(total, stored.Count);
        foreach (var n in created)
        {
            var s = stored.Single(x => x.Id == n.Id);
            Assert.Equal((n.IPv4, n.IPv6, n.Name), (s.IPv4, s.IPv6, s.Name));
        }
    }

    // ---- auth keys ----

    [Fact]
    public async Task CreateAuthKey_ListedGotAndDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, secret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: true), Now, ct);
        Assert.StartsWith("weft-auth-" + key.Prefix + "-", secret, StringComparison.Ordinal);
        Assert.Equal(Now.AddDays(1), key.Expires);
        Assert.Equal(["tag:server"], key.Tags);
        Assert.Equal(key, await Store.GetAuthKeyAsync(key.Id, ct), AuthKeyComparer.Instance);
        Assert.Equal([key], await Store.ListAuthKeysAsync(Tailnet.Id, ct), AuthKeyComparer.Instance);
        Assert.True(await Store.DeleteAuthKeyAsync(key.Id, ct));
        Assert.False(await Store.DeleteAuthKeyAsync(key.Id, ct));
        Assert.Null(await Store.GetAuthKeyAsync(key.Id, ct));
        Assert.Equal(AuthKeyCheck.Unknown, (await Store.UseAuthKeyAsync(secret, Now, ct)).Result);
    }

    [Fact]
    public async Task UseAuthKey_OneOff_WorksOnceThenIsUsedUp()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: false), Now, ct);
        var (first, key) = await Store.UseAuthKeyAsync(secret, Now, ct);
        Assert.Equal(AuthKeyCheck.Valid, first);
        Assert.Equal(1, key!.Uses);
        Assert.Equal(AuthKeyCheck.UsedUp, (await Store.UseAuthKeyAsync(secret, Now, ct)).Result);
    }

    [Fact]
    public async Task UseAuthKey_OneOffRacedOnSeveralReplicas_IsValidExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: false), Now, ct);
        var replica = await OpenStoreAsync(ct);
        var attempts = new List<Task<(AuthKeyCheck Result, AuthKeyRecord? Key)>>();
        for (var i = 0; i < 12; i++)
        {
            var store = i % 2 == 0 ? Store : replica;
            attempts.Add(Task.Run(() => store.UseAuthKeyAsync(secret, Now, ct), ct));
        }

        var results = await Task.WhenAll(attempts);
        Assert.Single(results, r => r.Result == AuthKeyCheck.Valid);
        Assert.All(results, r => Assert.Contains(r.Result, new[] { AuthKeyCheck.Valid, AuthKeyCheck.UsedUp }));
    }

    [Fact]
    public async Task UseAuthKey_Reusable_CountsUses()
    {
        var ct = TestContext.Current.CancellationToken;
        var (created, secret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: true), Now, ct);
        await Store.UseAuthKeyAsync(secret, Now, ct);
        var (result, key) = await Store.UseAuthKeyAsync(secret, Now, ct);
        Assert.Equal(AuthKeyCheck.Valid, result);
        Assert.Equal(2, key!.Uses);
        Assert.Equal(2, (await Store.GetAuthKeyAsync(created.Id, ct))!.Uses);
    }

    [Fact]
    public async Task UseAuthKey_Expired_IsRejectedAndNotCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (created, secret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: true), Now, ct);
        Assert.Equal(AuthKeyCheck.Valid, (await Store.UseAuthKeyAsync(secret, Now.AddDays(1).AddMilliseconds(-1), ct)).Result);
        Assert.Equal(AuthKeyCheck.Expired, (await Store.UseAuthKeyAsync(secret, Now.AddDays(1), ct)).Result);
        Assert.Equal(1, (await Store.GetAuthKeyAsync(created.Id, ct))!.Uses);
    }

    [Theory]
    [InlineData("")]
    [InlineData("weft-auth-")]
    [InlineData("weft-auth-000000000000-nope")]
    [InlineData("weft-api-000000000000-nope")]
    [InlineData("something else entirely")]
    public async Task UseAuthKey_UnknownOrMalformed_IsUnknown(string secret)
    {
        Assert.Equal(AuthKeyCheck.Unknown, (await Store.UseAuthKeyAsync(secret, Now, TestContext.Current.CancellationToken)).Result);
    }

    [Fact]
    public async Task UseAuthKey_RightPrefixWrongSecret_IsUnknownAndNotCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (created, secret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: false), Now, ct);
        var tampered = secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(AuthKeyCheck.Unknown, (await Store.UseAuthKeyAsync(tampered, Now, ct)).Result);
        Assert.Equal(0, (await Store.GetAuthKeyAsync(created.Id, ct))!.Uses);
        Assert.Equal(AuthKeyCheck.Valid, (await Store.UseAuthKeyAsync(secret, Now, ct)).Result);
    }

    // ---- API keys ----

    [Fact]
    public async Task ApiKey_AuthenticatesUntilExpiry()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, secret) = await Store.CreateApiKeyAsync(Tailnet.Id, User.Id, TimeSpan.FromDays(7), Now, ct);
        Assert.StartsWith("weft-api-" + key.Prefix + "-", secret, StringComparison.Ordinal);
        Assert.Equal(key, await Store.AuthenticateApiKeyAsync(secret, Now, ct));
        Assert.Equal(key, await Store.AuthenticateApiKeyAsync(secret, Now.AddDays(7).AddMilliseconds(-1), ct));
        Assert.Null(await Store.AuthenticateApiKeyAsync(secret, Now.AddDays(7), ct));
        Assert.Null(await Store.AuthenticateApiKeyAsync(secret + "x", Now, ct));
        Assert.Null(await Store.AuthenticateApiKeyAsync(secret[..^1], Now, ct));
        Assert.Null(await Store.AuthenticateApiKeyAsync("weft-auth-" + secret["weft-api-".Length..], Now, ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(91)]
    public async Task CreateApiKey_LifetimeOutsideOneToNinetyDays_Throws(int days)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Store.CreateApiKeyAsync(Tailnet.Id, User.Id, TimeSpan.FromDays(days), Now, TestContext.Current.CancellationToken));
    }

    // ---- policy ----

    [Fact]
    public async Task SetPolicy_BecomesCurrent_HistoryNewestFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await Store.SetPolicyAsync(Tailnet.Id, "{\"acls\":[]}", User.Id, Now.AddMinutes(1), ct);
        var second = await Store.SetPolicyAsync(Tailnet.Id, "{}", null, Now.AddMinutes(2), ct);
        Assert.Equal(second, await Store.GetPolicyAsync(Tailnet.Id, ct));
        var history = await Store.ListPolicyHistoryAsync(Tailnet.Id, ct);
        Assert.Equal(3, history.Count);
        Assert.Equal(second, history[0]);
        Assert.Equal(first, history[1]);
        Assert.Equal(User.Id, history[1].UserId);
        Assert.Equal(ControlConstants.DefaultPolicyText, history[2].Text);
    }

    [Fact]
    public async Task SetPolicy_OtherTailnet_IsSeparate()
    {
        var ct = TestContext.Current.CancellationToken;
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        await Store.SetPolicyAsync(other.Id, "{}", null, Now, ct);
        Assert.Equal(ControlConstants.DefaultPolicyText, (await Store.GetPolicyAsync(Tailnet.Id, ct)).Text);
        Assert.Equal("{}", (await Store.GetPolicyAsync(other.Id, ct)).Text);
    }

    // ---- restart ----

    [Fact]
    public async Task Reopen_KeepsEverything()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = await Store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var updated = node with { Endpoints = ["192.0.2.1:41641"], Tags = ["tag:server"], LastSeen = Now.AddMinutes(1) };
        Assert.True(await Store.UpdateNodeAsync(updated, ct));
        var (authKey, authSecret) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, KeyOptions(reusable: true), Now, ct);
        var (apiKey, apiSecret) = await Store.CreateApiKeyAsync(Tailnet.Id, User.Id, TimeSpan.FromDays(30), Now, ct);
        var policy = await Store.SetPolicyAsync(Tailnet.Id, "{}", User.Id, Now, ct);
        var ula = Store.UlaPrefix;
        await Store.DisposeAsync();
        _opened.Remove(Store);

        Store = await OpenStoreAsync(ct);
        Assert.Equal(ula, Store.UlaPrefix);
        Assert.Equal([Tailnet], await Store.ListTailnetsAsync(ct));
        Assert.Equal([User], await Store.ListUsersAsync(Tailnet.Id, ct));
        AssertSameNode(updated, await Store.GetNodeAsync(node.Id, ct));
        Assert.Equal(authKey, await Store.GetAuthKeyAsync(authKey.Id, ct), AuthKeyComparer.Instance);
        Assert.Equal(AuthKeyCheck.Valid, (await Store.UseAuthKeyAsync(authSecret, Now, ct)).Result);
        Assert.Equal(apiKey, await Store.AuthenticateApiKeyAsync(apiSecret, Now, ct));
        Assert.Equal(policy, await Store.GetPolicyAsync(Tailnet.Id, ct));
        Assert.Equal(2, (await Store.ListPolicyHistoryAsync(Tailnet.Id, ct)).Count);
    }

    /// <summary>Every field of a node, lists by content.</summary>
    protected static void AssertSameNode(NodeRecord expected, NodeRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(
            (expected.Id, expected.TailnetId, expected.UserId, expected.MachineKey, expected.NodeKey, expected.DiscoKey, expected.Name, expected.HostInfo),
            (actual.Id, actual.TailnetId, actual.UserId, actual.MachineKey, actual.NodeKey, actual.DiscoKey, actual.Name, actual.HostInfo));
        Assert.Equal((expected.IPv4, expected.IPv6), (actual.IPv4, actual.IPv6));
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Endpoints, actual.Endpoints);
        Assert.Equal((expected.Created, expected.LastSeen, expected.KeyExpiry), (actual.Created, actual.LastSeen, actual.KeyExpiry));
        Assert.Equal((expected.Ephemeral, expected.Authorized), (actual.Ephemeral, actual.Authorized));
    }

    /// <summary>Auth key records compared field by field (tags by content).</summary>
    private sealed class AuthKeyComparer : IEqualityComparer<AuthKeyRecord?>
    {
        public static readonly AuthKeyComparer Instance = new();

        private static readonly IReadOnlyList<string> NoTags = [];

        public bool Equals(AuthKeyRecord? x, AuthKeyRecord? y) =>
            x is not null && y is not null && x with { Tags = NoTags } == y with { Tags = NoTags } && x.Tags.SequenceEqual(y.Tags);

        public int GetHashCode(AuthKeyRecord? obj) => obj?.Id.GetHashCode() ?? 0;
    }
}
