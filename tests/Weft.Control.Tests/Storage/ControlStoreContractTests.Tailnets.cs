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
}
