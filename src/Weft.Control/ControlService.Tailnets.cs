using Weft.Control.Hosting;
using Weft.Control.Identity;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control;

/// <summary>What <see cref="ControlService.RenameTailnetAsync"/> did.</summary>
public enum TailnetRename
{
    /// <summary>The tailnet has its new name (and domain, when one was given).</summary>
    Renamed,

    /// <summary>No such tailnet.</summary>
    NotFound,

    /// <summary>Another tailnet has that name (compared ignoring case).</summary>
    NameTaken,
}

/// <summary>
/// Tailnets and the users in them: which tailnet a new identity belongs to (by its email domain), named
/// tailnets an admin creates, users added by admins, and each tailnet's default key lifetime.
/// </summary>
public sealed partial class ControlService
{
    /// <summary>Email domains many unrelated people share (webmail): their users each get a personal tailnet, not one per domain.</summary>
    public IReadOnlySet<string> SharedEmailDomains { get; init; } = ControlConstants.DefaultSharedEmailDomains;

    /// <summary>Adds a user to a tailnet; null (and nothing added) when the login is taken there.</summary>
    public async Task<UserRecord?> CreateUserAsync(long tailnetId, string login, string displayName, string role, CancellationToken ct = default)
    {
        if ((await Store.ListUsersAsync(tailnetId, ct).ConfigureAwait(false)).Any(u => string.Equals(u.Login, login, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        UserRecord user;
        try
        {
            user = await Store.CreateUserAsync(tailnetId, login, displayName, role, Time.GetUtcNow(), ct).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException)
        {
            // A concurrent call (or another replica) added the same login first.
            return null;
        }

        if (_maps.TryGetValue(tailnetId, out var map))
        {
            map.UpsertUser(user);
        }

        await PublishAsync(new Change(ChangeKind.User, tailnetId, user.Id), ct).ConfigureAwait(false);
        return user;
    }

    /// <summary>
    /// The user an identity with this email address is, created on first sight: an existing user with that
    /// login anywhere; else, for a shared (webmail) domain, the owner of a new personal tailnet; else a user of
    /// the organization tailnet of its domain, created with this user as its owner when it is the first.
    /// Null when <paramref name="email"/> is not an address. Single sign-on calls this at a first login.
    /// </summary>
    public async Task<(UserRecord User, bool Created)?> PlaceUserAsync(string email, string? displayName = null, CancellationToken ct = default)
    {
        if (!TryDomain(email, out var domain))
        {
            return null;
        }

        if (await Store.FindUserByLoginAsync(email, ct).ConfigureAwait(false) is { } existing)
        {
            return (existing, false);
        }

        var personal = SharedEmailDomains.Contains(domain);
        var name = personal ? TailnetName(email) : domain;
        var (tailnet, _) = await EnsureTailnetAsync(name, ct).ConfigureAwait(false);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var first = (await Store.ListUsersAsync(tailnet.Id, ct).ConfigureAwait(false)).Count == 0;
            var user = await CreateUserAsync(tailnet.Id, email, displayName ?? email, first ? PolicyRoles.Owner : PolicyRoles.Member, ct).ConfigureAwait(false);
            if (user is not null)
            {
                return (user, true);
            }

            // Lost a race to the same identity's other login: that one created the user.
            if (await Store.FindUserByLoginAsync(email, ct).ConfigureAwait(false) is { } raced)
            {
                return (raced, false);
            }
        }

        return null;
    }

    /// <summary>The tailnet of this name, created (with the default policy) when missing; Created says which.</summary>
    public async Task<(TailnetRecord Tailnet, bool Created)> EnsureTailnetAsync(string name, CancellationToken ct = default)
    {
        foreach (var t in await Store.ListTailnetsAsync(ct).ConfigureAwait(false))
        {
            if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return (t, false);
            }
        }

        return await ControlServer.CreateTailnetOrLoadAsync(Store, name, $"{TailnetName(name)}.{ControlConstants.TailnetDomainSuffix}", Time.GetUtcNow(), ct).ConfigureAwait(false);
    }

    /// <summary>Sets the key lifetime new logins and renewals of the tailnet get; nodes already registered keep theirs until they renew.</summary>
    public async Task<bool> SetKeyExpiryDaysAsync(long tailnetId, int days, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        if (!await Store.SetTailnetKeyExpiryAsync(tailnetId, days, ct).ConfigureAwait(false))
        {
            return false;
        }

        if (_maps.TryGetValue(tailnetId, out var map) && await Store.GetTailnetAsync(tailnetId, ct).ConfigureAwait(false) is { } tailnet)
        {
            map.SetTailnet(tailnet);
        }

        await PublishAsync(new Change(ChangeKind.Tailnet, tailnetId), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Renames a tailnet. Its MagicDNS domain (the suffix of its machines' names) stays as it is unless
    /// <paramref name="domain"/> is given: renaming must not break names people and scripts use. A new domain
    /// reaches every connected node at once (its own name, its peers' names and its DNS configuration).
    /// </summary>
    /// <exception cref="ArgumentException">The name or domain is not valid; the message is <see cref="TailnetNameProblem"/>'s or <see cref="TailnetDomainProblem"/>'s.</exception>
    public async Task<TailnetRename> RenameTailnetAsync(long tailnetId, string name, string? domain = null, CancellationToken ct = default)
    {
        if (TailnetNameProblem(name) is { } badName)
        {
            throw new ArgumentException(badName, nameof(name));
        }

        if (domain is not null && TailnetDomainProblem(domain) is { } badDomain)
        {
            throw new ArgumentException(badDomain, nameof(domain));
        }

        domain = domain?.TrimEnd('.').ToLowerInvariant();
        foreach (var t in await Store.ListTailnetsAsync(ct).ConfigureAwait(false))
        {
            // Paths name tailnets ignoring case, so two names differing only in case would be ambiguous.
            if (t.Id != tailnetId && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return TailnetRename.NameTaken;
            }
        }

        try
        {
            if (!await Store.RenameTailnetAsync(tailnetId, name, domain, ct).ConfigureAwait(false))
            {
                return TailnetRename.NotFound;
            }
        }
        catch (System.Data.Common.DbException)
        {
            // Another replica gave the name to another tailnet in the meantime.
            return TailnetRename.NameTaken;
        }

        if (_maps.TryGetValue(tailnetId, out var map) && await Store.GetTailnetAsync(tailnetId, ct).ConfigureAwait(false) is { } tailnet)
        {
            map.SetTailnet(tailnet);
        }

        await PublishAsync(new Change(ChangeKind.Tailnet, tailnetId), ct).ConfigureAwait(false);
        return TailnetRename.Renamed;
    }

    /// <summary>Why <paramref name="name"/> cannot name a tailnet (1 to 63 letters, digits, '.', '-' or '_', not "-"), or null when it can.</summary>
    public static string? TailnetNameProblem(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > ControlConstants.MaxTailnetNameLength)
        {
            return $"a tailnet name has 1 to {ControlConstants.MaxTailnetNameLength} characters";
        }

        if (name == "-")
        {
            // "-" in an API path means the API key's own tailnet.
            return "'-' cannot name a tailnet: API paths use it for the key's own tailnet";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return $"a tailnet name may hold letters, digits, '.', '-' and '_' only, not '{c}'";
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="domain"/> cannot be a MagicDNS domain (a DNS name: labels of 1 to 63 letters, digits or inner dashes), or null when it can.</summary>
    public static string? TailnetDomainProblem(string? domain)
    {
        var name = domain?.TrimEnd('.');
        if (string.IsNullOrEmpty(name) || name.Length > ControlConstants.MaxDnsNameLength)
        {
            return $"a MagicDNS domain has 1 to {ControlConstants.MaxDnsNameLength} characters";
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return $"MagicDNS domain '{domain}' is not a DNS name (label '{label}')";
            }
        }

        return null;
    }

    /// <summary>True with the lower-case domain when <paramref name="email"/> looks like local@domain.tld.</summary>
    internal static bool TryDomain(string email, out string domain)
    {
        domain = "";
        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1 || email.AsSpan(0, at).ContainsAny(" \t\r\n") || email.Length > 254)
        {
            return false;
        }

        var candidate = email[(at + 1)..].ToLowerInvariant();
        if (!candidate.Contains('.', StringComparison.Ordinal) || candidate.StartsWith('.') || candidate.EndsWith('.')
            || !candidate.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            return false;
        }

        domain = candidate;
        return true;
    }

    /// <summary>A DNS-safe label from an email address or domain: "Ann.Lee@mail.com" becomes "ann-lee-mail-com".</summary>
    internal static string TailnetName(string text) => MachineName.Sanitize(text.Replace('@', '-').Replace('.', '-'));
}
