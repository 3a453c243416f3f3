using System.Net;

namespace Weft.Node.LocalApi;

/// <summary>What the local API server asks of the daemon; one method per endpoint.</summary>
public interface ILocalBackend
{
    StatusResponse Status();

    Task<UpResponse> UpAsync(UpRequest request, CancellationToken ct);

    Task DownAsync(CancellationToken ct);

    Task LogoutAsync(CancellationToken ct);

    IReadOnlyList<ProfileInfo> Profiles();

    Task SwitchAsync(string profile, CancellationToken ct);

    Prefs GetPrefs();

    Task<Prefs> PatchPrefsAsync(PrefsPatch patch, CancellationToken ct);

    /// <summary>The node and user owning a tailnet address, or null.</summary>
    WhoIsResponse? WhoIs(IPAddress address);

    Task<PingResponse> PingAsync(PingRequest request, CancellationToken ct);

    VersionResponse Version();

    /// <summary>Runs netcheck now.</summary>
    Task<NetcheckResponse> NetcheckAsync(CancellationToken ct);
}

/// <summary>A request the daemon refuses; the server answers with <see cref="StatusCode"/> and the message as JSON.</summary>
public sealed class LocalApiError(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
