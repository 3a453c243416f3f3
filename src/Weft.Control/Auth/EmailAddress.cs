namespace Weft.Control.Auth;

/// <summary>The little the server needs of an email address: that it has one '@' and a domain to place the user by.</summary>
internal static class EmailAddress
{
    /// <summary>The lower-case domain of <paramref name="email"/>, or false when it is not a plausible address.</summary>
    public static bool TryDomain(string? email, out string domain)
    {
        domain = "";
        if (string.IsNullOrWhiteSpace(email) || email.Length > 254)
        {
            return false;
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1 || email.AsSpan().ContainsAny(" \t\r\n<>\"'"))
        {
            return false;
        }

        domain = email[(at + 1)..].ToLowerInvariant();
        return domain.Contains('.', StringComparison.Ordinal);
    }
}
