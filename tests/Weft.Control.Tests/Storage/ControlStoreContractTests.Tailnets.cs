using System.Data.Common;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Storage;

/// <summary>The contract for tailnet settings and finding users by login across tailnets.</summary>
public abstract partial class ControlStoreContractTests
{
    [Fact]
    public async Task SetTailnetKeyExpiry_IsStoredAndReadBack()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(ControlConstants.DefaultKeyExpiryDays, Tailnet.KeyExpiryDays);
        Assert.True(await Store.SetTailnetKeyExpiryAsync(Tailnet.Id, 30, ct));
        Assert.Equal(30, (await (await OpenStoreAsync(ct)).GetTailnetAsync(Tailnet.Id, ct))!.KeyExpiryDays);
        Assert.False(await Store.SetTailnetKeyExpiryAsync(Tailnet.Id + 1000, 30, ct));
    }

    [Fact]
    public async Task FindUserByLogin_IgnoresCase_FindsOldestAcrossTailnets()
    {
        var ct = TestContext.Current.CancellationToken;
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        await Store.CreateUserAsync(other.Id, "Alice@Example.com", "Alice", "member", Now, ct);
        Assert.Equal(User.Id, (await Store.FindUserByLoginAsync("ALICE@example.COM", ct))!.Id);
        Assert.Null(await Store.FindUserByLoginAsync("bob@example.com", ct));
    }

    [Fact]
    public async Task DeleteUser_TakesTheirNodesRoutesAndKeys_LeavesOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        var bob = await Store.CreateUserAsync(Tailnet.Id, "bob@example.com", "Bob", "member", Now, ct);
        var mine = await Store.CreateNodeAsync(Node("alice-pc", "nodekey:a"), Now, ct);
        var first = await Store.CreateNodeAsync(Node("bob-pc", "nodekey:b1") with { UserId = bob.Id }, Now, ct);
        var second = await Store.CreateNodeAsync(Node("bob-phone", "nodekey:b2") with { UserId = bob.Id }, Now, ct);
        Assert.True(await Store.SetRoutesAsync(first.Id, new NodeRoutes(["10.0.0.0/24"], ["10.0.0.0/24"]), ct));
        var (bobKey, _) = await Store.CreateAuthKeyAsync(Tailnet.Id, bob.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        var (_, bobApi) = await Store.CreateApiKeyAsync(Tailnet.Id, bob.Id, TimeSpan.FromDays(1), Now, ct);
        var (aliceKey, _) = await Store.CreateAuthKeyAsync(Tailnet.Id, User.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);

        Assert.Equal([first.Id, second.Id], await Store.DeleteUserAsync(bob.Id, ct));

        Assert.Null(await Store.GetUserAsync(bob.Id, ct));
        Assert.Equal([mine.Id], (await Store.ListNodesAsync(Tailnet.Id, ct)).Select(n => n.Id));
        Assert.Empty(await Store.ListRoutesAsync(Tailnet.Id, ct));
        Assert.Null(await Store.GetAuthKeyAsync(bobKey.Id, ct));
        Assert.NotNull(await Store.GetAuthKeyAsync(aliceKey.Id, ct));
        Assert.Null(await Store.AuthenticateApiKeyAsync(bobApi, Now, ct));
        Assert.Null(await Store.DeleteUserAsync(bob.Id, ct));
    }

    [Fact]
    public async Task RenameTailnet_ChangesNameAndOnlyAGivenDomain_RefusesATakenName()
    {
        var ct = TestContext.Current.CancellationToken;
        var other = await Store.CreateTailnetAsync("other", "other.weft.internal", Now, ct);
        Assert.True(await Store.RenameTailnetAsync(Tailnet.Id, "renamed", null, ct));
        Assert.Equal(("renamed", Tailnet.Domain), (await (await OpenStoreAsync(ct)).GetTailnetAsync(Tailnet.Id, ct)) is { } t ? (t.Name, t.Domain) : default);
        Assert.True(await Store.RenameTailnetAsync(Tailnet.Id, "renamed", "new.example", ct));
        Assert.Equal("new.example", (await Store.GetTailnetAsync(Tailnet.Id, ct))!.Domain);
        await Assert.ThrowsAnyAsync<DbException>(() => Store.RenameTailnetAsync(Tailnet.Id, "other", null, ct));
        Assert.Equal("other", (await Store.GetTailnetAsync(other.Id, ct))!.Name);
        Assert.False(await Store.RenameTailnetAsync(other.Id + 1000, "x", null, ct));
    }

    [Fact]
    public async Task LocalAccounts_IgnoreCase_ReplaceOnlyWhenAsked_AndGoWithTheirUser()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.False(await Store.AnyLocalAccountAsync(ct));
        Assert.True(await Store.SetLocalAccountAsync("Alice@Example.com", User.Id, "hash-1", Now, replace: false, ct));
        Assert.True(await Store.AnyLocalAccountAsync(ct));
        Assert.Equal(new LocalAccountRecord("alice@example.com", User.Id, "hash-1", Now), await (await OpenStoreAsync(ct)).GetLocalAccountAsync("ALICE@example.com", ct));
        Assert.False(await Store.SetLocalAccountAsync("alice@example.com", User.Id, "hash-2", Now, replace: false, ct));
        Assert.Equal("hash-1", (await Store.GetLocalAccountAsync("alice@example.com", ct))!.Hash);
        Assert.True(await Store.SetLocalAccountAsync("alice@example.com", User.Id, "hash-2", Now.AddMinutes(1), replace: true, ct));
        Assert.Equal("hash-2", (await Store.GetLocalAccountAsync("alice@example.com", ct))!.Hash);
        Assert.Null(await Store.GetLocalAccountAsync("bob@example.com", ct));

        Assert.NotNull(await Store.DeleteUserAsync(User.Id, ct));
        Assert.Null(await Store.GetLocalAccountAsync("alice@example.com", ct));
        Assert.False(await Store.AnyLocalAccountAsync(ct));
    }
}
