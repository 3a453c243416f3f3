using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Server;

/// <summary>
/// Every /api/v2 endpoint, taken from the server's own endpoint list so a new one cannot be missed: 401 without
/// a key or with an unknown one, 403 for a member's key where a change needs an owner or admin, 403 for another
/// tailnet's name, and 404 for an id that belongs to another tailnet.
/// </summary>
public sealed class ApiAuthorizationTests
{
    /// <summary>Endpoints a member's key may call (reads but of API keys and server-wide settings, and validating a policy without saving it).</summary>
    private static bool MemberMay(string method, string route) =>
        (method == "GET" && route is not ("/api/v2/tailnet/{tailnet}/apikeys" or "/api/v2/tailnets" or "/api/v2/relaymap"))
        || route == "/api/v2/tailnet/{tailnet}/acl/validate";

    private sealed record Fixture(TestControlServer Server, string MemberKey, string OtherOwnerKey, string OtherTailnet,
        long DeviceId, long AuthKeyId, long ApiKeyId, long UserId);

    private static async Task<Fixture> SetUpAsync(TestControlServer s, CancellationToken ct)
    {
        var (tailnet, owner) = await s.FirstAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var member = await s.Store.CreateUserAsync(tailnet.Id, "m@example.com", "M", "member", now, ct);
        var memberKey = (await s.Store.CreateApiKeyAsync(tailnet.Id, member.Id, TimeSpan.FromDays(1), now, ct)).Secret;
        var other = await s.Store.CreateTailnetAsync("other", "other.weft.internal", now, ct);
        var otherOwner = await s.Store.CreateUserAsync(other.Id, "o@other.example", "O", "owner", now, ct);
        var otherKey = (await s.Store.CreateApiKeyAsync(other.Id, otherOwner.Id, TimeSpan.FromDays(1), now, ct)).Secret;
        var (authKey, _) = await s.Store.CreateAuthKeyAsync(tailnet.Id, owner.Id, new AuthKeyOptions(true, false, true, [], TimeSpan.FromDays(1)), now, ct);
        var apiKey = (await s.Store.CreateApiKeyAsync(tailnet.Id, owner.Id, TimeSpan.FromDays(1), now, ct)).Key;
        var node = await s.Store.CreateNodeAsync(new NewNode(tailnet.Id, owner.Id, "mkey:1", "nodekey:" + new string('1', 64), "", "laptop", "{}", [], null, false, true), now, ct);
        return new Fixture(s, memberKey, otherKey, other.Name, node.Id, authKey.Id, apiKey.Id, member.Id);
    }

    private static List<(string Method, string Route)> Endpoints(TestControlServer s) =>
        [.. s.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v2/", StringComparison.Ordinal) && !e.RoutePattern.RawText.Contains("openapi", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (m, e.RoutePattern.RawText!)))];

    /// <summary>The route with its parameters filled for tailnet "-" (or <paramref name="tailnet"/>) and this fixture's ids.</summary>
    private static string Path(Fixture f, string route, string tailnet = "-")
    {
        string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
        var id = route.StartsWith("/api/v2/device/", StringComparison.Ordinal) ? Id(f.DeviceId)
            : route.Contains("/apikeys/", StringComparison.Ordinal) ? Id(f.ApiKeyId)
            : route.Contains("/keys/", StringComparison.Ordinal) ? Id(f.AuthKeyId)
            : route.StartsWith("/api/v2/users/", StringComparison.Ordinal) ? Id(f.UserId)
            : "0123456789abcdef";
        return route.Replace("{tailnet}", tailnet, StringComparison.Ordinal).Replace("{id}", id, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> CallAsync(Fixture f, string method, string path, string? key, CancellationToken ct)
    {
        using var response = await f.Server.Http.SendAsync(f.Server.Request(new HttpMethod(method), path, key, method is "GET" or "DELETE" ? null : "{}"), ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task EveryEndpoint_WithoutKeyOrWithUnknownKey_Is401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var f = await SetUpAsync(s, ct);
        var endpoints = Endpoints(s);
        Assert.True(endpoints.Count >= 40, $"only {endpoints.Count} endpoints found");
        foreach (var (method, route) in endpoints)
        {
            Assert.True(await CallAsync(f, method, Path(f, route), null, ct) == HttpStatusCode.Unauthorized, $"{method} {route} without a key");
            Assert.True(await CallAsync(f, method, Path(f, route), "weft-api-0000000000000000-not-a-key", ct) == HttpStatusCode.Unauthorized, $"{method} {route} with an unknown key");
        }
    }

    [Fact]
    public async Task EveryChangingEndpoint_WithMemberKey_Is403_ReadsAreAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var f = await SetUpAsync(s, ct);
        foreach (var (method, route) in Endpoints(s))
        {
            var status = await CallAsync(f, method, Path(f, route), f.MemberKey, ct);
            if (MemberMay(method, route))
            {
                Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{method} {route} refused a member's key: {status}");
            }
            else
            {
                Assert.True(status == HttpStatusCode.Forbidden, $"{method} {route} with a member's key answered {status}, not 403");
            }
        }
    }

    [Fact]
    public async Task EveryEndpoint_AnotherTailnetsNameIs403_AnotherTailnetsIdIs404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var f = await SetUpAsync(s, ct);
        var checkedIds = 0;
        foreach (var (method, route) in Endpoints(s))
        {
            if (route.Contains("{tailnet}", StringComparison.Ordinal))
            {
                // The first tailnet's owner key names the other tailnet.
                var status = await CallAsync(f, method, Path(f, route, f.OtherTailnet), s.OwnerApiKey, ct);
                Assert.True(status == HttpStatusCode.Forbidden, $"{method} {route} for another tailnet answered {status}, not 403");
            }

            if (route.Contains("{id}", StringComparison.Ordinal) && !route.Contains("/registrations/", StringComparison.Ordinal))
            {
                // The other tailnet's owner reaches for this tailnet's device, key or user.
                var status = await CallAsync(f, method, Path(f, route), f.OtherOwnerKey, ct);
                Assert.True(status == HttpStatusCode.NotFound, $"{method} {route} with another tailnet's id answered {status}, not 404");
                checkedIds++;
            }
        }

        Assert.True(checkedIds >= 12, $"only {checkedIds} id endpoints checked");
        Assert.NotNull(await s.Store.GetNodeAsync(f.DeviceId, ct));
        Assert.NotNull(await s.Store.GetAuthKeyAsync(f.AuthKeyId, ct));
    }
}
