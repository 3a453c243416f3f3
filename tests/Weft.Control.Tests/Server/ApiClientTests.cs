using Weft.Control.Api;

namespace Weft.Control.Tests.Server;

/// <summary>The typed REST client the admin CLI uses, against a real server.</summary>
public sealed class ApiClientTests
{
    [Fact]
    public async Task Client_UsersKeysAndPolicy_RoundTrip()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var api = new ApiClient(s.Http, s.OwnerApiKey);

        Assert.Equal("admin", Assert.Single((await api.ListUsersAsync(ct)).Users).LoginName);
        var auth = await api.CreateAuthKeyAsync(new ApiKeyRequest(true, false, true, [], 3600), ct);
        Assert.StartsWith("weft-auth-", auth.Key, StringComparison.Ordinal);
        Assert.Null(Assert.Single((await api.ListAuthKeysAsync(ct)).Keys).Key);
        await api.DeleteAuthKeyAsync(auth.Id, ct);
        Assert.Empty((await api.ListAuthKeysAsync(ct)).Keys);

        var created = await api.CreateApiKeyAsync(null, ct);
        Assert.Equal(2, (await api.ListApiKeysAsync(ct)).Keys.Count);
        await new ApiClient(s.Http, created.Key!).ListDevicesAsync(ct);

        const string Policy = "{ \"acls\": [ { \"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:22\"] } ] }";
        await api.ValidatePolicyAsync(Policy, ct);
        await api.SetPolicyAsync(Policy, ct);
        Assert.Equal(Policy, await api.GetPolicyAsync(ct));
        Assert.Equal(2, (await api.PolicyHistoryAsync(ct)).Versions.Count);
        Assert.Empty((await api.PreviewAsync(null, "admin", ct)).Reachable);
    }

    [Fact]
    public async Task Client_TailnetSettingsUsersAndTailnets_RoundTrip()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var api = new ApiClient(s.Http, s.OwnerApiKey);

        Assert.Equal(ControlConstants.DefaultKeyExpiryDays, (await api.GetTailnetSettingsAsync(ct)).DevicesKeyDurationDays);
        Assert.Equal(90, (await api.SetTailnetSettingsAsync(new ApiTailnetSettings(90), ct)).DevicesKeyDurationDays);
        Assert.Equal(90, (await api.GetTailnetSettingsAsync(ct)).DevicesKeyDurationDays);

        var added = await api.CreateUserAsync(new ApiNewUser("bob@example.com", "Bob", null), ct);
        Assert.Equal("member", added.Role);
        Assert.Contains((await api.ListUsersAsync(ct)).Users, u => u.LoginName == "bob@example.com");

        var placed = await api.PlaceUserAsync(new ApiPlaceUser("ann@corp.example", null), ct);
        Assert.Equal(("corp.example", "owner", true), (placed.Tailnet, placed.User.Role, placed.Created));
        var lab = await api.CreateTailnetAsync("lab", ct);
        Assert.Equal(["default", "corp.example", "lab"], (await api.ListTailnetsAsync(ct)).Tailnets.Select(t => t.Name));
        Assert.Equal(lab.Id, (await api.CreateTailnetAsync("lab", ct)).Id);

        var ex = await Assert.ThrowsAsync<ApiException>(() => api.SetTailnetSettingsAsync(new ApiTailnetSettings(999), ct));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task Client_ServerRefuses_ThrowsWithStatusAndDetail()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var api = new ApiClient(s.Http, s.OwnerApiKey);

        var missing = await Assert.ThrowsAsync<ApiException>(() => api.RenameDeviceAsync("42", "x", ct));
        Assert.Equal(404, missing.Status);
        Assert.Contains("device 42 not found", missing.Message, StringComparison.Ordinal);

        var bad = await Assert.ThrowsAsync<ApiException>(() => api.SetPolicyAsync("{ \"acls\": [ { \"action\": \"maybe\" } ] }", ct));
        Assert.Equal(400, bad.Status);
        Assert.Contains("line 1, column", bad.Message, StringComparison.Ordinal);

        var unauthorized = await Assert.ThrowsAsync<ApiException>(() => new ApiClient(s.Http, "weft-api-nope").ListUsersAsync(ct));
        Assert.Equal(401, unauthorized.Status);
    }

    [Fact]
    public void FromKeyFile_MissingOrEmpty_NamesTheFile()
    {
        using var dir = new TempDir();
        using var http = new HttpClient();
        Assert.Contains("nokey", Assert.Throws<InvalidDataException>(() => ApiClient.FromKeyFile(http, dir.File("nokey"))).Message, StringComparison.Ordinal);
        File.WriteAllText(dir.File("empty"), "\n");
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => ApiClient.FromKeyFile(http, dir.File("empty"))).Message, StringComparison.Ordinal);
    }
}
