using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Weft.Control.Tests.Server;

/// <summary>The served OpenAPI document is valid and describes every /api/v2 endpoint with its request and response schemas.</summary>
public sealed class OpenApiTests
{
    /// <summary>Operations that take no body (the device, key or registration is in the path).</summary>
    private static readonly HashSet<string> NoBody = new(StringComparer.Ordinal)
    {
        "POST /api/v2/device/{id}/expire",
        "POST /api/v2/tailnet/{tailnet}/registrations/{id}/approve",
    };

    /// <summary>Operations that answer 200 with an empty body.</summary>
    private static readonly HashSet<string> EmptyAnswer = new(StringComparer.Ordinal)
    {
        "DELETE /api/v2/device/{id}",
        "POST /api/v2/device/{id}/authorized",
        "POST /api/v2/device/{id}/expire",
        "POST /api/v2/device/{id}/tags",
        "DELETE /api/v2/tailnet/{tailnet}/keys/{id}",
        "DELETE /api/v2/tailnet/{tailnet}/apikeys/{id}",
        "DELETE /api/v2/users/{id}",
    };

    [Fact]
    public async Task Document_IsValid_AndEveryEndpointHasSchemasAndProblems()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var response = await s.Http.GetAsync("/api/v2/openapi.json", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(ct);

        var read = OpenApiDocument.Parse(text, OpenApiConstants.Json, new OpenApiReaderSettings());
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        var document = read.Document!;
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet()) ?? []);

        var endpoints = s.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v2/", StringComparison.Ordinal) && !e.RoutePattern.RawText.Contains("openapi", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToList();
        Assert.True(endpoints.Count >= 40, $"only {endpoints.Count} endpoints found");

        foreach (var endpoint in endpoints)
        {
            var (method, path) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
            Assert.True(document.Paths.TryGetValue(path, out var item), $"{path} is not in the document");
            Assert.True(item.Operations!.TryGetValue(HttpMethod.Parse(method), out var operation), $"{endpoint} is not in the document");
            Assert.True(operation.Responses!.TryGetValue("200", out var ok), $"{endpoint} documents no 200 answer");
            foreach (var status in (string[])["400", "401", "403", "404"])
            {
                Assert.True(operation.Responses.ContainsKey(status), $"{endpoint} documents no {status} problem");
            }

            if (!EmptyAnswer.Contains(endpoint))
            {
                Assert.True(ok.Content is { Count: > 0 } && ok.Content.Values.All(m => m.Schema is not null), $"{endpoint} documents no answer schema");
            }

            if (method is "POST" or "PATCH" && !NoBody.Contains(endpoint))
            {
                Assert.True(operation.RequestBody?.Content is { Count: > 0 } body && body.Values.All(m => m.Schema is not null), $"{endpoint} documents no request body schema");
            }

            Assert.NotEmpty(operation.Security ?? []);
        }
    }
}
