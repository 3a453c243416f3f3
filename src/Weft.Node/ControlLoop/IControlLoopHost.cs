using Weft.Core.Control;
using Weft.Core.Keys;

namespace Weft.Node.ControlLoop;

/// <summary>What the control loop reports to (and asks of) the daemon that runs it; called from the loop's task.</summary>
public interface IControlLoopHost
{
    /// <summary>The server's key was fetched on first contact; pin it from now on.</summary>
    void ServerKeyPinned(string serverKeyHex);

    /// <summary>Interactive login: an admin must open and approve this URL.</summary>
    void AuthUrlReceived(string url);

    /// <summary>The server accepted <paramref name="nodeKey"/> (a first login, a re-login or a rotation).</summary>
    void Registered(PrivateKey nodeKey, RegisterResponse response);

    /// <summary>The server refused the registration for good (bad or used auth key); the loop has stopped.</summary>
    void RegistrationRefused(string error);

    /// <summary>The server no longer knows or accepts the node key (expired, deleted); the loop registers again.</summary>
    void RegistrationLost(string reason);

    /// <summary>A map message; <paramref name="firstOfStream"/> is true for the first message after connecting.</summary>
    Task MapReceivedAsync(MapResponse message, bool firstOfStream, CancellationToken ct);

    /// <summary>The map stream started (true) or the connection ended (false, with the reason).</summary>
    void ConnectionChanged(bool connected, string? error);

    /// <summary>What to report about this device.</summary>
    HostInfo HostInfo { get; }

    /// <summary>The disco public key peers seal path-discovery messages to; null when the node does no path discovery.</summary>
    string? DiscoKey { get; }

    /// <summary>The UDP endpoints to report ("192.0.2.1:41641").</summary>
    IReadOnlyList<string> Endpoints { get; }
}
