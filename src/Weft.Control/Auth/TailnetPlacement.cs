using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Auth;

/// <summary>
/// Finds or creates the user behind an SSO login, within the configured allowed domains: an existing user of
/// that login; else, for a configured organization domain, a member of the first tailnet; else the server's
/// placement by email domain (<see cref="ControlService.PlaceUserAsync"/>: an organization tailnet per custom
/// domain, a personal tailnet for webmail addresses).
/// </summary>
internal static class TailnetPlacement
{
    /// <summary>The user for <paramref name="email"/>, created when new; null when its domain is not allowed.</summary>
    public static async Task<UserRecord?> PlaceAsync(ControlService service, ControlServerOptions options, OidcSettings oidc, string email, string? displayName, CancellationToken ct)
    {
        if (!ControlService.TryDomain(email, out var domain)
            || (oidc.AllowedDomains.Count > 0 && !oidc.AllowedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (await service.Store.FindUserByLoginAsync(email, ct).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        if (oidc.OrganizationDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
        {
            var (first, _) = await service.EnsureTailnetAsync(options.FirstTailnet, ct).ConfigureAwait(false);
            // Null when a concurrent first login of the same person (another tab, another replica) created the user.
            return await service.CreateUserAsync(first.Id, email, displayName ?? email, PolicyRoles.Member, ct).ConfigureAwait(false)
                ?? await service.Store.FindUserByLoginAsync(email, ct).ConfigureAwait(false);
        }

        return (await service.PlaceUserAsync(email, displayName, ct).ConfigureAwait(false))?.User;
    }
}
