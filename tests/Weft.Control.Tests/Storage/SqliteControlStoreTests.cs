using System.Net;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Storage;

public sealed class SqliteControlStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private SqliteControlStore _store = null!;
    private TailnetRecord _tailnet = null!;
    private UserRecord _user = null!;

    public async ValueTask InitializeAsync()
    {
        _store = await SqliteControlStore.OpenAsync(_dir.File("control.db"), TestContext.Current.CancellationToken);
        _tailnet = await _store.CreateTailnetAsync("example", "example.weft.internal", Now, TestContext.Current.CancellationToken);
        _user = await _store.CreateUserAsync(_tailnet.Id, "alice@example.com", "Alice", "admin", Now, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private NewNode Node(string host, string nodeKey, long? tailnet = null) =>
        new(tailnet ?? _tailnet.Id, _user.Id, "mkey:" + nodeKey, nodeKey, "discokey:1", host, "{}", [], Now.AddDays(180), Ephemeral: false, Authorized: true);

    [Fact]
    public async Task Open_FreshDatabase_AppliesEveryMigrationOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(Enumerable.Range(1, Schema.Migrations.Length), await _store.AppliedMigrationsAsync(ct));
        await using var again = await SqliteControlStore.OpenAsync(_dir.File("control.db"), ct);
        Assert.Equal(Enumerable.Range(1, Schema.Migrations.Length), await again.AppliedMigrationsAsync(ct));
    }

    [Fact]
    public async Task CreateNode_AllocatesDistinctAddressesInRanges()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await _store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var b = await _store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        var v4 = IPNetwork.Parse("100.64.0.0/10");
        Assert.True(v4.Contains(a.IPv4) && v4.Contains(b.IPv4));
        Assert.True(_store.UlaPrefix.Contains(a.IPv6) && _store.UlaPrefix.Contains(b.IPv6));
        Assert.NotEqual(a.IPv4, b.IPv4);
        Assert.NotEqual(a.IPv6, b.IPv6);
        Assert.Equal(48, _store.UlaPrefix.PrefixLength);
        Assert.Equal(0xfd, _store.UlaPrefix.BaseAddress.GetAddressBytes()[0]);
    }

    [Fact]
    public async Task CreateNode_AfterDelete_DoesNotReuseAddressesOfLivingNodes()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await _store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var b = await _store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        Assert.True(await _store.DeleteNodeAsync(a.Id, ct));
        var c = await _store.CreateNodeAsync(Node("c", "k3"), Now, ct);
        Assert.NotEqual(b.IPv4, c.IPv4);
        Assert.NotEqual(b.IPv6, c.IPv6);
    }

    [Fact]
    public async Task CreateNode_SameHostname_GetsSuffixedDnsSafeName()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await _store.CreateNodeAsync(Node("Alice's Laptop", "k1"), Now, ct);
        var b = await _store.CreateNodeAsync(Node("alice-s-laptop", "k2"), Now, ct);
        var c = await _store.CreateNodeAsync(Node("ALICE S LAPTOP!", "k3"), Now, ct);
        Assert.Equal(["alice-s-laptop", "alice-s-laptop-1", "alice-s-laptop-2"], new[] { a.Name, b.Name, c.Name });
    }

    [Fact]
    public async Task CreateNode_SameNameInOtherTailnet_IsAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        var other = await _store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        var a = await _store.CreateNodeAsync(Node("laptop", "k1"), Now, ct);
        var b = await _store.CreateNodeAsync(Node("laptop", "k2", other.Id), Now, ct);
        Assert.Equal("laptop", a.Name);
        Assert.Equal("laptop", b.Name);
    }

    [Fact]
    public async Task UpdateNode_NameTakenByAnother_Throws()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await _store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        await _store.CreateNodeAsync(Node("b", "k2"), Now, ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.UpdateNodeAsync(a with { Name = "b" }, ct));
        Assert.Equal("a", (await _store.GetNodeAsync(a.Id, ct))!.Name);
    }

    [Fact]
    public async Task CreateNode_DuplicateNodeKey_IsRejectedAndLeavesNoRow()
    {
        var ct = TestContext.Current.CancellationToken;
        await _store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() => _store.CreateNodeAsync(Node("b", "k1"), Now, ct));
        Assert.Single(await _store.ListNodesAsync(_tailnet.Id, ct));
    }

    [Fact]
    public async Task Reopen_KeepsNodesKeysPolicyAndUlaPrefix()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = await _store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        var updated = node with { Endpoints = ["192.0.2.1:41641"], Tags = ["tag:server"], LastSeen = Now.AddMinutes(1) };
        Assert.True(await _store.UpdateNodeAsync(updated, ct));
        var (_, secret) = await _store.CreateAuthKeyAsync(_tailnet.Id, _user.Id, new AuthKeyOptions(true, false, true, ["tag:server"], TimeSpan.FromDays(1)), Now, ct);
        await _store.SetPolicyAsync(_tailnet.Id, "{}", _user.Id, Now, ct);
        var ula = _store.UlaPrefix;
        await _store.DisposeAsync();

        _store = await SqliteControlStore.OpenAsync(_dir.File("control.db"), ct);
        Assert.Equal(ula, _store.UlaPrefix);
        Assert.Equal(updated, await _store.GetNodeAsync(node.Id, ct), new NodeComparer());
        Assert.Equal(AuthKeyCheck.Valid, (await _store.UseAuthKeyAsync(secret, Now, ct)).Result);
        Assert.Equal("{}", (await _store.GetPolicyAsync(_tailnet.Id, ct)).Text);
        Assert.Equal(2, (await _store.ListPolicyHistoryAsync(_tailnet.Id, ct)).Count);
    }

    [Fact]
    public async Task UseAuthKey_OneOff_WorksOnceThenIsUsedUp()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await _store.CreateAuthKeyAsync(_tailnet.Id, _user.Id, new AuthKeyOptions(false, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        Assert.Equal(AuthKeyCheck.Valid, (await _store.UseAuthKeyAsync(secret, Now, ct)).Result);
        Assert.Equal(AuthKeyCheck.UsedUp, (await _store.UseAuthKeyAsync(secret, Now, ct)).Result);
    }

    [Fact]
    public async Task UseAuthKey_Reusable_CountsUses()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await _store.CreateAuthKeyAsync(_tailnet.Id, _user.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        await _store.UseAuthKeyAsync(secret, Now, ct);
        var (result, key) = await _store.UseAuthKeyAsync(secret, Now, ct);
        Assert.Equal(AuthKeyCheck.Valid, result);
        Assert.Equal(2, key!.Uses);
    }

    [Fact]
    public async Task UseAuthKey_Expired_IsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await _store.CreateAuthKeyAsync(_tailnet.Id, _user.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        Assert.Equal(AuthKeyCheck.Expired, (await _store.UseAuthKeyAsync(secret, Now.AddDays(1), ct)).Result);
    }

    [Theory]
    [InlineData("")]
    [InlineData("weft-auth-")]
    [InlineData("weft-auth-000000000000-nope")]
    [InlineData("something else entirely")]
    public async Task UseAuthKey_UnknownOrMalformed_IsUnknown(string secret)
    {
        Assert.Equal(AuthKeyCheck.Unknown, (await _store.UseAuthKeyAsync(secret, Now, TestContext.Current.CancellationToken)).Result);
    }

    [Fact]
    public async Task UseAuthKey_RightPrefixWrongSecret_IsUnknown()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await _store.CreateAuthKeyAsync(_tailnet.Id, _user.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        var tampered = secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(AuthKeyCheck.Unknown, (await _store.UseAuthKeyAsync(tampered, Now, ct)).Result);
    }

    [Fact]
    public async Task AuthKey_IsStoredOnlyAsHash()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, secret) = await _store.CreateAuthKeyAsync(_tailnet.Id, _user.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        await _store.DisposeAsync();
        var bytes = await File.ReadAllBytesAsync(_dir.File("control.db"), ct);
        var wal = File.Exists(_dir.File("control.db-wal")) ? await File.ReadAllBytesAsync(_dir.File("control.db-wal"), ct) : [];
        var needle = System.Text.Encoding.UTF8.GetBytes(secret[^20..]);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(needle));
        Assert.Equal(-1, wal.AsSpan().IndexOf(needle));
        _store = await SqliteControlStore.OpenAsync(_dir.File("control.db"), ct);
    }

    [Fact]
    public async Task ApiKey_AuthenticatesUntilExpiry()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, secret) = await _store.CreateApiKeyAsync(_tailnet.Id, _user.Id, TimeSpan.FromDays(7), Now, ct);
        Assert.Equal(key.Id, (await _store.AuthenticateApiKeyAsync(secret, Now, ct))?.Id);
        Assert.Null(await _store.AuthenticateApiKeyAsync(secret, Now.AddDays(7), ct));
        Assert.Null(await _store.AuthenticateApiKeyAsync(secret + "x", Now, ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(91)]
    public async Task CreateApiKey_LifetimeOutsideOneToNinetyDays_Throws(int days)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            _store.CreateApiKeyAsync(_tailnet.Id, _user.Id, TimeSpan.FromDays(days), Now, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CreateTailnet_StartsWithDefaultPolicy()
    {
        var policy = await _store.GetPolicyAsync(_tailnet.Id, TestContext.Current.CancellationToken);
        Assert.True(Weft.Policy.Policy.Parse(policy.Text).Success);
    }

    [Fact]
    public async Task DeleteTailnetUser_WithNodes_IsBlockedByForeignKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await _store.CreateNodeAsync(Node("a", "k1"), Now, ct);
        // A node pointing at a user that does not exist must be refused: foreign keys are on.
        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() =>
            _store.CreateNodeAsync(Node("b", "k2") with { UserId = 999 }, Now, ct));
    }

    /// <summary>Compares node records field by field (lists by content).</summary>
    private sealed class NodeComparer : IEqualityComparer<NodeRecord?>
    {
        public bool Equals(NodeRecord? x, NodeRecord? y) =>
            x is not null && y is not null && x.Id == y.Id && x.Name == y.Name && x.IPv4.Equals(y.IPv4) && x.IPv6.Equals(y.IPv6) &&
            x.Tags.SequenceEqual(y.Tags) && x.Endpoints.SequenceEqual(y.Endpoints) && x.LastSeen == y.LastSeen && x.KeyExpiry == y.KeyExpiry &&
            x.NodeKey == y.NodeKey && x.Authorized == y.Authorized;

        public int GetHashCode(NodeRecord? obj) => obj?.Id.GetHashCode() ?? 0;
    }
}
