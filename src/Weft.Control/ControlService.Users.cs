using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control;

/// <summary>What <see cref="ControlService.RemoveUserAsync"/> did.</summary>
public enum UserRemoval
{
    /// <summary>The user, their machines and their keys are gone.</summary>
    Removed,

    /// <summary>No such user (removed already, or never existed).</summary>
    NotFound,

    /// <summary>Refused: the user is an owner. Owners are demoted (by an owner) before they can be removed.</summary>
    IsOwner,
}

/// <summary>Removing users: the user and everything that acts as them leave the tailnet at once.</summary>
public sealed partial class ControlService
{
    /// <summary>
    /// Removes a user who is not an owner, with their machines (which drop out of peers' netmaps at once, their
    /// own streams ending), their auth keys and their API keys. Callers check that the acting user is an owner
    /// or admin of <paramref name="user"/>'s tailnet; this method refuses owners whoever asks, so a tailnet never
    /// loses its owner.
    /// </summary>
    public async Task<UserRemoval> RemoveUserAsync(UserRecord user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        // Re-read: the role the caller saw may be stale, and the owner rule must hold for the stored one.
        var current = await Store.GetUserAsync(user.Id, ct).ConfigureAwait(false);
        if (current is null || current.TailnetId != user.TailnetId)
        {
            return UserRemoval.NotFound;
        }

        if (current.Role == PolicyRoles.Owner)
        {
            return UserRemoval.IsOwner;
        }

        var nodes = await Store.DeleteUserAsync(current.Id, ct).ConfigureAwait(false);
        if (nodes is null)
        {
            return UserRemoval.NotFound;
        }

        var map = await MapAsync(current.TailnetId, ct).ConfigureAwait(false);
        foreach (var id in nodes)
        {
            map.Remove(id);
        }

        map.RemoveUser(current.Id);
        foreach (var id in nodes)
        {
            await PublishAsync(new Change(ChangeKind.NodeRemoved, current.TailnetId, id), ct).ConfigureAwait(false);
        }

        // A user change whose user is gone tells other replicas to drop the user.
        await PublishAsync(new Change(ChangeKind.User, current.TailnetId, current.Id), ct).ConfigureAwait(false);
        LogUserRemoved(_logger, current.Login, current.TailnetId, nodes.Count);
        return UserRemoval.Removed;
    }
}
