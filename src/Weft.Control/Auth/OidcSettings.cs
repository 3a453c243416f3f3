using System.Text.Json.Serialization;

namespace Weft.Control.Auth;

/// <summary>
/// Single sign-on through an OpenID Connect provider (the "oidc" object of the config file). Logins use the
/// authorization code flow with PKCE; the email claim names the user and its domain places them.
/// </summary>
public sealed class OidcSettings
{
    /// <summary>The provider's issuer URL (its discovery document is at issuer/.well-known/openid-configuration). Required.</summary>
    [JsonPropertyName("issuer")]
    public string Issuer { get; set; } = "";

    /// <summary>The client id registered at the provider. Required.</summary>
    [JsonPropertyName("clientId")]
    public string ClientId { get; set; } = "";

    /// <summary>File holding the client secret (kept out of the config file). Defaults to null (a public client, PKCE only).</summary>
    [JsonPropertyName("clientSecretFile")]
    public string? ClientSecretFile { get; set; }

    /// <summary>Scopes asked for. Defaults to openid, profile, email.</summary>
    [JsonPropertyName("scopes")]
    public IReadOnlyList<string> Scopes { get; set; } = ["openid", "profile", "email"];

    /// <summary>Email domains allowed to log in; empty allows every domain the provider vouches for. Defaults to empty.</summary>
    [JsonPropertyName("allowedDomains")]
    public IReadOnlyList<string> AllowedDomains { get; set; } = [];

    /// <summary>
    /// Email domains whose people join the first tailnet as members on first login. Anyone else allowed is
    /// placed by domain: an organization tailnet named after a custom domain, a personal one for webmail
    /// (sharedEmailDomains). Defaults to empty.
    /// </summary>
    [JsonPropertyName("organizationDomains")]
    public IReadOnlyList<string> OrganizationDomains { get; set; } = [];

    /// <summary>Checks the settings; the message names the field.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed.</exception>
    public void Validate()
    {
        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || (issuer.Scheme != Uri.UriSchemeHttps && !(issuer.Scheme == Uri.UriSchemeHttp && issuer.IsLoopback)))
        {
            throw new InvalidDataException($"oidc.issuer '{Issuer}' must be an https:// URL (http:// only on loopback)");
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            throw new InvalidDataException("oidc.clientId is required");
        }

        if (!Scopes.Contains("openid") || !Scopes.Contains("email"))
        {
            throw new InvalidDataException("oidc.scopes must include openid and email");
        }
    }
}
