using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Auth;

/// <summary>
/// Finds or creates the user behind a first SSO login: an existing user of that login anywhere; else a member
/// of the first tailnet for an organization domain; else the owner of a new personal tailnet.
/// </summary>
internal static class TailnetPlacement
{
    /// <summary>The user for <paramref name="email"/>, created when new; null when its domain is not allowed.</summary>
    public static async Task<UserRecord?> PlaceAsync(ControlService service, ControlServerOptions options, OidcSettings oidc, string email, CancellationToken ct)
    {
        if (!EmailAddress.TryDomain(email, out var domain)
            || (oidc.AllowedDomains.Count > 0 && !oidc.AllowedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        var store = service.Store;
        var tailnets = await store.ListTailnetsAsync(ct).ConfigureAwait(false);
        foreach (var t in tailnets)
        {
            var existing = (await store.ListUsersAsync(t.Id, ct).ConfigureAwait(false))
                .FirstOrDefault(u => string.Equals(u.Login, email, StringComparison.OrdinalIgnoreCase));
            if (existing is not null)
            {
                return existing;
            }
        }

        var now = service.Time.GetUtcNow();
        if (oidc.OrganizationDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
        {
            var org = tailnets.FirstOrDefault(t => t.Name == options.FirstTailnet) ?? tailnets[0];
            return await CreateUserAsync(store, org.Id, email, PolicyRoles.Member, now, ct).ConfigureAwait(false);
        }

        // A personal tailnet, named after the address so two people never share one.
        var name = PersonalName(email);
        var (personal, _) = await ControlServer.CreateTailnetOrLoadAsync(store, name, $"{name}.weft.internal", now, ct).ConfigureAwait(false);
        return await CreateUserAsync(store, personal.Id, email, PolicyRoles.Owner, now, ct).ConfigureAwait(false);
    }

    /// <summary>A DNS-safe tailnet name from an email address: "Ann.Lee@mail.com" becomes "ann-lee-mail-com".</summary>
    internal static string PersonalName(string email)
    {
        var chars = new char[email.Length];
        for (var i = 0; i < email.Length; i++)
        {
            var c = char.ToLowerInvariant(email[i]);
            chars[i] = char.IsAsciiLetterOrDigit(c) ? c : '-';
        }

        var name = new string(chars).Trim('-');
        while (name.Contains("--", StringComparison.Ordinal))
        {
            name = name.Replace("--", "-", StringComparison.Ordinal);
        }

        return name.Length > 63 ? name[..63].TrimEnd('-') : name;
    }

    private static async Task<UserRecord> CreateUserAsync(IControlStore store, long tailnetId, string email, string role, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            return await store.CreateUserAsync(tailnetId, email, email, role, now, ct).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException)
        {
            // Two first logins of the same person raced (two tabs, two replicas): the other one created the user.
            return (await store.ListUsersAsync(tailnetId, ct).ConfigureAwait(false)).First(u => string.Equals(u.Login, email, StringComparison.OrdinalIgnoreCase));
        }
    }
}
