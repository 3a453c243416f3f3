using System.Net;
using Weft.Control.Api;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Console;

/// <summary>Tailnet administration from the console: users, access controls, DNS, keys, settings. Owners and admins only.</summary>
public sealed partial class ConsoleActions
{
    /// <summary>Longest default key lifetime offered: Tailscale's limit too.</summary>
    private const int MaxKeyExpiryDays = 180;

    /// <summary>The tailnet of the signed-in user (any role).</summary>
    public async Task<TailnetRecord> TailnetAsync(CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        return await service.Store.GetTailnetAsync(me.TailnetId, ct).ConfigureAwait(false) ?? throw new ConsoleDeniedException("the tailnet no longer exists");
    }

    /// <summary>The tailnet's settings page: admins only.</summary>
    public async Task<TailnetRecord> SettingsAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return await service.Store.GetTailnetAsync(me.TailnetId, ct).ConfigureAwait(false) ?? throw new ConsoleDeniedException("the tailnet no longer exists");
    }

    /// <summary>Sets the key lifetime of new logins and renewals, in days (0 turns expiry off); owners and admins. Returns a problem, or null.</summary>
    public async Task<string?> SetKeyExpiryDaysAsync(int days, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        if (days is < 0 or > MaxKeyExpiryDays)
        {
            return $"key expiry must be between 0 (never) and {MaxKeyExpiryDays} days";
        }

        await service.SetKeyExpiryDaysAsync(me.TailnetId, days, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Renames the tailnet (owners and admins); its MagicDNS domain changes only when <paramref name="domain"/> is
    /// given, because machine names people and scripts use end in it. Returns a problem, or null when done.
    /// </summary>
    public async Task<string?> RenameTailnetAsync(string name, string? domain, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        name = name.Trim();
        domain = domain?.Trim();
        if (ControlService.TailnetNameProblem(name) is { } badName)
        {
            return badName;
        }

        if (domain is not null && ControlService.TailnetDomainProblem(domain) is { } badDomain)
        {
            return badDomain;
        }

        return await service.RenameTailnetAsync(me.TailnetId, name, domain, ct).ConfigureAwait(false) switch
        {
            TailnetRename.Renamed => null,
            TailnetRename.NameTaken => $"another tailnet is named '{name}'",
            _ => "the tailnet no longer exists",
        };
    }

    /// <summary>The signed-in user (any role).</summary>
    public Task<UserRecord> MeAsync(CancellationToken ct = default) => session.UserAsync(ct);

    public async Task<IReadOnlyList<UserRecord>> UsersAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return await service.Store.ListUsersAsync(me.TailnetId, ct).ConfigureAwait(false);
    }

    /// <summary>Changes a user's role with the API's rules: only owners make or unmake owners; the last owner stays. Returns a problem, or null.</summary>
    public async Task<string?> SetRoleAsync(long userId, string role, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var user = await service.Store.GetUserAsync(userId, ct).ConfigureAwait(false);
        if (user is null || user.TailnetId != me.TailnetId)
        {
            return $"user {userId} not found";
        }

        if (role is not (PolicyRoles.Owner or PolicyRoles.Admin or PolicyRoles.Member))
        {
            return "the role must be owner, admin or member";
        }

        if ((role == PolicyRoles.Owner || user.Role == PolicyRoles.Owner) && me.Role != PolicyRoles.Owner)
        {
            return "only an owner may grant or remove the owner role";
        }

        if (user.Role == PolicyRoles.Owner && role != PolicyRoles.Owner
            && (await service.Store.ListUsersAsync(me.TailnetId, ct).ConfigureAwait(false)).Count(u => u.Role == PolicyRoles.Owner) <= 1)
        {
            return "the tailnet's last owner cannot lose the owner role";
        }

        await service.SetUserRoleAsync(user, role, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Removes a user with their machines, auth keys and API keys (owners and admins). Owners are refused (an owner
    /// makes them admin or member first), and so is removing oneself, which would end this very session. Returns a problem, or null.
    /// </summary>
    public async Task<string?> RemoveUserAsync(long userId, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var user = await service.Store.GetUserAsync(userId, ct).ConfigureAwait(false);
        if (user is null || user.TailnetId != me.TailnetId)
        {
            return $"user {userId} not found";
        }

        if (user.Id == me.Id)
        {
            return "you cannot remove yourself; another owner or admin can";
        }

        return await service.RemoveUserAsync(user, ct).ConfigureAwait(false) switch
        {
            UserRemoval.Removed => null,
            UserRemoval.IsOwner => $"{user.Login} is an owner; an owner must make them admin or member before they can be removed",
            _ => $"user {userId} not found",
        };
    }

    /// <summary>The current policy text.</summary>
    public async Task<string> PolicyAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return (await service.Store.GetPolicyAsync(me.TailnetId, ct).ConfigureAwait(false)).Text;
    }

    /// <summary>Checks a policy and runs its tests; saves it when <paramref name="save"/> and both pass. Returns the problems ("line N, column M: ..." for syntax).</summary>
    public async Task<IReadOnlyList<string>> CheckPolicyAsync(string text, bool save, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return await service.SetPolicyAsync(me.TailnetId, text, me.Id, save, ct).ConfigureAwait(false);
    }

    /// <summary>Saved policy versions, newest first, with who saved each.</summary>
    public async Task<List<(PolicyRecord Version, string? By)>> PolicyHistoryAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var users = (await service.Store.ListUsersAsync(me.TailnetId, ct).ConfigureAwait(false)).ToDictionary(u => u.Id);
        var list = new List<(PolicyRecord, string?)>();
        foreach (var v in await service.Store.ListPolicyHistoryAsync(me.TailnetId, ct).ConfigureAwait(false))
        {
            list.Add((v, v.UserId is { } u ? users.GetValueOrDefault(u)?.Login : null));
        }

        return list;
    }

    /// <summary>Who can reach what: the destinations a user (by login) or a machine (by id) may reach under the current policy.</summary>
    public async Task<List<ApiReach>> PreviewAsync(string? login, long? machineId, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var (policy, nodes) = (await service.MapAsync(me.TailnetId, ct).ConfigureAwait(false)).Snapshot();
        PolicyNode? subject = null;
        if (machineId is { } id)
        {
            subject = nodes.Find(n => n.Id == id) ?? throw new ConsoleDeniedException($"machine {id} is not in the map (unapproved or expired)");
        }
        else if (login is not null)
        {
            var user = (await service.Store.ListUsersAsync(me.TailnetId, ct).ConfigureAwait(false)).FirstOrDefault(u => string.Equals(u.Login, login, StringComparison.OrdinalIgnoreCase))
                ?? throw new ConsoleDeniedException($"user '{login}' not found");
            subject = PolicyPreview.UserPlaceholder(user.Login, user.Role);
        }

        return subject is null ? [] : PolicyPreview.Reachable(policy, nodes, subject, await NamesAsync(me.TailnetId, ct).ConfigureAwait(false));
    }

    public async Task<DnsSettings> DnsAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return DnsSettings.FromJson(await service.Store.GetDnsAsync(me.TailnetId, ct).ConfigureAwait(false));
    }

    /// <summary>Stores DNS settings and sends them to every node. Returns a problem, or null.</summary>
    public async Task<string?> SetDnsAsync(DnsSettings dns, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dns);
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var problem = CheckDns(dns);
        if (problem is not null)
        {
            return problem;
        }

        await service.SetDnsAsync(me.TailnetId, dns, ct).ConfigureAwait(false);
        return null;
    }

    public async Task<IReadOnlyList<AuthKeyRecord>> AuthKeysAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return await service.Store.ListAuthKeysAsync(me.TailnetId, ct).ConfigureAwait(false);
    }

    /// <summary>Creates an auth key; the secret is returned once and never stored.</summary>
    public async Task<(string? Secret, string? Problem)> CreateAuthKeyAsync(bool reusable, bool ephemeral, bool preauthorized, IReadOnlyList<string> tags, int days, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var lifetime = TimeSpan.FromDays(days);
        if (days < 1 || lifetime > ControlConstants.DefaultAuthKeyLifetime)
        {
            return (null, $"expiry must be between 1 and {ControlConstants.DefaultAuthKeyLifetime.TotalDays} days");
        }

        var problem = await CheckTagsAsync(me, tags, ct).ConfigureAwait(false);
        if (problem is not null)
        {
            return (null, problem);
        }

        var (_, secret) = await service.Store.CreateAuthKeyAsync(me.TailnetId, me.Id, new AuthKeyOptions(reusable, ephemeral, preauthorized, tags, lifetime), service.Time.GetUtcNow(), ct).ConfigureAwait(false);
        return (secret, null);
    }

    public async Task RevokeAuthKeyAsync(long id, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var key = await service.Store.GetAuthKeyAsync(id, ct).ConfigureAwait(false);
        if (key is null || key.TailnetId != me.TailnetId)
        {
            throw new ConsoleDeniedException($"auth key {id} not found");
        }

        await service.Store.DeleteAuthKeyAsync(id, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ApiKeysAsync(CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        return await service.Store.ListApiKeysAsync(me.TailnetId, ct).ConfigureAwait(false);
    }

    /// <summary>Creates an API key acting as the signed-in user; the secret is returned once.</summary>
    public async Task<(string? Secret, string? Problem)> CreateApiKeyAsync(int days, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var lifetime = TimeSpan.FromDays(days);
        if (lifetime < ControlConstants.MinApiKeyLifetime || lifetime > ControlConstants.MaxApiKeyLifetime)
        {
            return (null, $"expiry must be between {ControlConstants.MinApiKeyLifetime.TotalDays} and {ControlConstants.MaxApiKeyLifetime.TotalDays} days");
        }

        var (_, secret) = await service.Store.CreateApiKeyAsync(me.TailnetId, me.Id, lifetime, service.Time.GetUtcNow(), ct).ConfigureAwait(false);
        return (secret, null);
    }

    public async Task RevokeApiKeyAsync(long id, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        if (!(await service.Store.ListApiKeysAsync(me.TailnetId, ct).ConfigureAwait(false)).Any(k => k.Id == id))
        {
            throw new ConsoleDeniedException($"API key {id} not found");
        }

        await service.Store.DeleteApiKeyAsync(id, ct).ConfigureAwait(false);
    }

    /// <summary>A problem with DNS settings, or null: nameservers are IP addresses, suffixes and search paths DNS names.</summary>
    internal static string? CheckDns(DnsSettings dns)
    {
        foreach (var ns in dns.Nameservers.Concat(dns.SplitDns.Values.SelectMany(v => v)))
        {
            if (!IPAddress.TryParse(ns, out _))
            {
                return $"nameserver '{ns}' is not an IP address";
            }
        }

        foreach (var name in dns.SearchPaths.Concat(dns.SplitDns.Keys))
        {
            if (!IsDnsName(name))
            {
                return $"'{name}' is not a DNS name";
            }
        }

        foreach (var (suffix, servers) in dns.SplitDns)
        {
            if (servers.Count == 0)
            {
                return $"split DNS for '{suffix}' needs at least one nameserver";
            }
        }

        return null;
    }

    private static bool IsDnsName(string name) =>
        name.Length is > 0 and <= 253
        && name.TrimEnd('.').Split('.').All(l => l.Length is > 0 and <= 63 && l[0] != '-' && l[^1] != '-' && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
