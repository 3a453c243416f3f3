using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Weft.Console.Tests.Fixtures;

/// <summary>
/// A real OpenID Connect provider (OpenIddict's server) on 127.0.0.1: discovery, authorization code flow
/// with PKCE, signed ID tokens. Its sign-in page asks only for an email address, which the tests (or the
/// browser) type; one confidential client is known.
/// </summary>
internal sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "weft-console";
    public const string ClientSecret = "provider-test-secret-3f9a";

    private readonly WebApplication _app;

    private OidcProvider(WebApplication app) => _app = app;

    /// <summary>The issuer URL (ends with '/').</summary>
    public Uri Issuer => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

    /// <summary>How many codes were exchanged at the token endpoint (proves the server did the back-channel step).</summary>
    public int TokenRequests => _tokenRequests;

    private int _tokenRequests;

    /// <summary>Email addresses the provider says it has not verified.</summary>
    public HashSet<string> Unverified { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static async Task<OidcProvider> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        OidcProvider? self = null;
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            // Degraded mode: no client or token database; the handlers below check the one client.
            o.EnableDegradedMode();
            o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
            o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
            o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            o.DisableAccessTokenEncryption();
            o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            o.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(b => b.UseInlineHandler(ctx =>
            {
                if (ctx.ClientId != ClientId)
                {
                    ctx.Reject(Errors.InvalidClient, "unknown client");
                }
                else if (ctx.RedirectUri is null || !ctx.RedirectUri.EndsWith("/login/oidc/callback", StringComparison.Ordinal))
                {
                    ctx.Reject(Errors.InvalidRequest, "redirect_uri not registered");
                }

                return default;
            }));
            o.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(b => b.UseInlineHandler(ctx =>
            {
                Interlocked.Increment(ref self!._tokenRequests);
                if (ctx.ClientId != ClientId || ctx.ClientSecret != ClientSecret)
                {
                    ctx.Reject(Errors.InvalidClient, "bad client credentials");
                }

                return default;
            }));
        });
        var app = builder.Build();
        self = new OidcProvider(app);
        app.MapMethods("/connect/authorize", ["GET", "POST"], async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("no OpenID Connect request");
            var email = http.Request.HasFormContentType ? (await http.Request.ReadFormAsync()).TryGetValue("login_email", out var e) ? e.ToString() : null : null;
            if (string.IsNullOrEmpty(email))
            {
                return SignInForm(request);
            }

            var identity = new ClaimsIdentity("test-provider", Claims.Name, Claims.Role);
            identity.AddClaim(new Claim(Claims.Subject, "sub-" + email));
            identity.AddClaim(new Claim(Claims.Email, email));
            identity.AddClaim(new Claim(Claims.EmailVerified, self.Unverified.Contains(email) ? "false" : "true", ClaimValueTypes.Boolean));
            identity.AddClaim(new Claim(Claims.Name, email));
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        await app.StartAsync(ct);
        return self;
    }

    /// <summary>The sign-in page: the authorization request's parameters carried in hidden fields, plus the email box.</summary>
    private static IResult SignInForm(OpenIddictRequest request)
    {
        var html = new StringBuilder("<!DOCTYPE html><html><head><title>Test identity provider</title></head><body><h1>Test identity provider</h1><form method=\"post\" action=\"/connect/authorize\">");
        foreach (var (name, value) in request.GetParameters())
        {
            html.Append(System.Globalization.CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(name)}\" value=\"{WebUtility.HtmlEncode((string?)value)}\">");
        }

        html.Append("<label>Email <input id=\"login_email\" name=\"login_email\" type=\"email\"></label><button id=\"provider_signin\" type=\"submit\">Sign in</button></form></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
