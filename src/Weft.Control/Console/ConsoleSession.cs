using Microsoft.AspNetCore.Components.Authorization;
using Weft.Control.Auth;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Console;

/// <summary>
/// Who is using this console circuit. The cookie names only the user; <see cref="UserAsync"/> reads the user
/// from the store on every call, so a role change or removal takes effect on the next action, not the next login.
/// </summary>
public sealed class ConsoleSession(AuthenticationStateProvider auth, ControlService service)
{
    /// <summary>The signed-in user as the store has them now.</summary>
    /// <exception cref="ConsoleDeniedException">Not signed in, or the user no longer exists.</exception>
    public async Task<UserRecord> UserAsync(CancellationToken ct = default)
    {
        var state = await auth.GetAuthenticationStateAsync().ConfigureAwait(false);
        var id = ConsoleClaims.UserIdOf(state.User) ?? throw new ConsoleDeniedException("not signed in");
        return await service.Store.GetUserAsync(id, ct).ConfigureAwait(false) ?? throw new ConsoleDeniedException("this account no longer exists");
    }

    /// <summary>The signed-in user when they are an owner or admin.</summary>
    /// <exception cref="ConsoleDeniedException">A member, or not signed in.</exception>
    public async Task<UserRecord> AdminAsync(CancellationToken ct = default)
    {
        var user = await UserAsync(ct).ConfigureAwait(false);
        return PolicyRoles.IsAdmin(user.Role) ? user : throw new ConsoleDeniedException("this page needs the admin or owner role");
    }
}
