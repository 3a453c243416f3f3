using Weft.Core.Keys;

namespace Weft.Node.ControlLoop;

/// <summary>What one run of the control loop starts from: the server, the keys and the registration state.</summary>
public sealed record ControlLoopOptions
{
    public required Uri Server { get; init; }

    public required PrivateKey MachineKey { get; init; }

    public required PrivateKey NodeKey { get; init; }

    /// <summary>The pinned server key (hex), or null to fetch and pin it on first contact.</summary>
    public string? ServerKeyHex { get; init; }

    /// <summary>True when the server already accepted <see cref="NodeKey"/>.</summary>
    public bool Registered { get; init; }

    /// <summary>A pre-authentication key for this login, used once.</summary>
    public string? AuthKey { get; init; }

    /// <summary>When the node key was accepted; with <see cref="KeyExpiry"/> sets when to rotate it.</summary>
    public DateTimeOffset? KeyIssued { get; init; }

    public DateTimeOffset? KeyExpiry { get; init; }

    /// <summary>Ceiling of the first reconnect wait. Defaults to 1 s.</summary>
    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Ceiling of every reconnect wait. Defaults to 30 s.</summary>
    public TimeSpan BackoffMaximum { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the stream may stay silent before the connection counts as dead. Defaults to 2 min: the server
    /// sends a keepalive every 50 s, so two missed ones mean a dead path (a pulled cable sends no FIN).
    /// </summary>
    public TimeSpan StreamSilence { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often local endpoints are compared with what the server was told. Defaults to 20 s.</summary>
    public TimeSpan EndpointRecheck { get; init; } = TimeSpan.FromSeconds(20);
}
