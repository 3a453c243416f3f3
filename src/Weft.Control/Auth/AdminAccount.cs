using Weft.Control.Hosting;

namespace Weft.Control.Auth;

/// <summary>What `weft control accounts create-admin` calls: the first console admin, made against the data directory's store.</summary>
public static class AdminAccount
{
    /// <summary>
    /// Makes <paramref name="email"/> an owner of the tailnet <paramref name="tailnet"/> (the first one when null)
    /// with a password login. Returns the login and tailnet id.
    /// </summary>
    /// <exception cref="InvalidDataException">Bad email, short password, or unknown tailnet; the message says which.</exception>
    public static async Task<(string Login, long TailnetId)> CreateAsync(ControlServerOptions options, string email, string password, string? tailnet, CancellationToken ct = default)
    {
        var user = await LocalAccounts.CreateAdminAsync(options, email, password, tailnet, TimeProvider.System, ct).ConfigureAwait(false);
        return (user.Login, user.TailnetId);
    }
}
