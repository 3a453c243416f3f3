using Weft.Core.Control;
using Weft.Policy;

namespace Weft.Control.Console;

/// <summary>
/// The server's relay map from the console. It applies to every tailnet on the server, so, as in the API, only a
/// server admin (an owner or admin of the server's first tailnet) reads or changes it.
/// </summary>
public sealed partial class ConsoleActions
{
    /// <summary>True when the signed-in user is a server admin.</summary>
    public async Task<bool> IsServerAdminAsync(CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        if (!PolicyRoles.IsAdmin(me.Role))
        {
            return false;
        }

        var tailnets = await service.Store.ListTailnetsAsync(ct).ConfigureAwait(false);
        return tailnets.Count > 0 && tailnets[0].Id == me.TailnetId;
    }

    /// <summary>The relay map as an admin edits it (JSON), whether a stored override is in force, and the map nodes get now.</summary>
    /// <exception cref="ConsoleDeniedException">Not a server admin.</exception>
    public async Task<(string Json, bool Overridden, RelayMap? Effective)> RelayMapAsync(CancellationToken ct = default)
    {
        await ServerAdminAsync(ct).ConfigureAwait(false);
        return (service.RelayMapJson(), service.RelayMapOverride is not null, service.RelayMap);
    }

    /// <summary>Validates and stores a relay map override from JSON; every connected node gets it at once. Returns the problems, or none when saved.</summary>
    public async Task<IReadOnlyList<string>> SetRelayMapAsync(string json, CancellationToken ct = default)
    {
        await ServerAdminAsync(ct).ConfigureAwait(false);
        return await service.SetRelayMapJsonAsync(json, ct).ConfigureAwait(false);
    }

    /// <summary>Drops the stored override: the config file's regions (and the embedded relay) apply again.</summary>
    public async Task ResetRelayMapAsync(CancellationToken ct = default)
    {
        await ServerAdminAsync(ct).ConfigureAwait(false);
        await service.SetRelayMapAsync(null, ct).ConfigureAwait(false);
    }

    private async Task ServerAdminAsync(CancellationToken ct)
    {
        if (!await IsServerAdminAsync(ct).ConfigureAwait(false))
        {
            throw new ConsoleDeniedException("the relay map is the server's: it needs an owner or admin of the server's first tailnet");
        }
    }
}
