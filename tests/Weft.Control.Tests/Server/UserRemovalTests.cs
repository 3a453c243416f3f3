using System.Net;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Server;

/// <summary>Removing a user through the REST API: their machines leave peers' maps at once, their keys stop working, owners stay.</summary>
public sealed class UserRemovalTests
{
    private static async Task<HttpStatusCode> SendAsync(TestControlServer s, HttpMethod method, string path, string? key, CancellationToken ct)
    {
        using var response = await s.Http.SendAsync(s.Request(method, path, key), ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task RemoveUser_DropsTheirMachinesFromPeers_EndsTheirStreams_AndRevokesTheirKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (tailnet, owner) = await s.FirstAsync(ct);
        var member = await s.Store.CreateUserAsync(tailnet.Id, "m@example.com", "M", "member", DateTimeOffset.UtcNow, ct);
        var memberApiKey = (await s.Store.CreateApiKeyAsync(tailnet.Id, member.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct)).Secret;
        var (memberAuthKey, memberAuthSecret) = await s.Store.CreateAuthKeyAsync(tailnet.Id, member.Id,
            new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), DateTimeOffset.UtcNow, ct);

        await using var a = await TestNode.JoinAsync(s, await s.AuthKeyAsync(ct), "a", ct);
        await using var m = await TestNode.JoinAsync(s, memberAuthSecret, "m", ct);
        await a.WaitForAsync(r => r.PeersChanged?.Any(p => p.Id == m.Id) == true, ct);

        // A member may not remove anyone, not even themselves.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{member.Id}", memberApiKey, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{member.Id}", null, ct));

        Assert.Equal(HttpStatusCode.OK, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{member.Id}", s.OwnerApiKey, ct));
        Assert.Equal([m.Id], (await a.WaitForAsync(r => r.PeersRemoved is not null, ct)).PeersRemoved!);
        while (await m.Client.ReceiveMapAsync(ct) is not null)
        {
            // Drain until the server ends the removed user's machine's stream.
        }

        Assert.Null(await s.Store.GetUserAsync(member.Id, ct));
        Assert.Null(await s.Store.GetNodeAsync(m.Id, ct));
        Assert.Null(await s.Store.GetAuthKeyAsync(memberAuthKey.Id, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/users", memberApiKey, ct));
        Assert.Equal([owner.Id], (await s.Store.ListUsersAsync(tailnet.Id, ct)).Select(u => u.Id));

        // The removed user's auth key registers no new machine.
        await using var again = await TestNode.ConnectAsync(s, ct);
        Assert.False((await again.RegisterAsync(memberAuthSecret, "m2", ct)).Authorized);
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{member.Id}", s.OwnerApiKey, ct));
    }

    [Fact]
    public async Task RemoveUser_OwnerOrOtherTailnetsUser_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (tailnet, owner) = await s.FirstAsync(ct);
        var admin = await s.Store.CreateUserAsync(tailnet.Id, "admin@example.com", "A", "admin", DateTimeOffset.UtcNow, ct);
        var adminKey = (await s.Store.CreateApiKeyAsync(tailnet.Id, admin.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct)).Secret;
        var other = await s.Store.CreateTailnetAsync("other", "other.weft.internal", DateTimeOffset.UtcNow, ct);
        var stranger = await s.Store.CreateUserAsync(other.Id, "x@other.example", "X", "member", DateTimeOffset.UtcNow, ct);

        Assert.Equal(HttpStatusCode.Conflict, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{owner.Id}", adminKey, ct));
        Assert.Equal(HttpStatusCode.Conflict, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{owner.Id}", s.OwnerApiKey, ct));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{stranger.Id}", s.OwnerApiKey, ct));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(s, HttpMethod.Delete, "/api/v2/users/nope", s.OwnerApiKey, ct));
        Assert.NotNull(await s.Store.GetUserAsync(owner.Id, ct));
        Assert.NotNull(await s.Store.GetUserAsync(stranger.Id, ct));

        // An admin removes another admin; the service refuses an owner whoever asks.
        var second = await s.Store.CreateUserAsync(tailnet.Id, "admin2@example.com", "B", "admin", DateTimeOffset.UtcNow, ct);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(s, HttpMethod.Delete, $"/api/v2/users/{second.Id}", adminKey, ct));
        Assert.Equal(UserRemoval.IsOwner, await s.Server.Service.RemoveUserAsync(owner, ct));
    }
}
