using System.Globalization;
using System.Security.Claims;
using Weft.Control.Storage;

namespace Weft.Control.Auth;

/// <summary>
/// What the console's cookie holds: only the user's id and tailnet (and login, for display). Roles are not
/// in the cookie: every action reads the user from the store, so a role change or removal applies at once.
/// </summary>
internal static class ConsoleClaims
{
    public const string Scheme = "weft-console";
    public const string OidcScheme = "weft-oidc";
    public const string UserId = "weft:user";
    public const string TailnetId = "weft:tailnet";

    /// <summary>The signed-in principal of <paramref name="user"/>; <paramref name="method"/> is "password" or "oidc".</summary>
    public static ClaimsPrincipal Principal(UserRecord user, string method) =>
        new(new ClaimsIdentity(
            [
                new Claim(UserId, user.Id.ToString(CultureInfo.InvariantCulture)),
                new Claim(TailnetId, user.TailnetId.ToString(CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, user.Login),
                new Claim(ClaimTypes.AuthenticationMethod, method),
            ],
            Scheme));

    /// <summary>The user id of a signed-in principal, or null.</summary>
    public static long? UserIdOf(ClaimsPrincipal? principal) =>
        principal?.Identity?.IsAuthenticated == true
        && long.TryParse(principal.FindFirst(UserId)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}
