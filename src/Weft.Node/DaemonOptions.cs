namespace Weft.Node;

/// <summary>How `weft daemon` was started.</summary>
public sealed record DaemonOptions
{
    /// <summary>The state directory (keys, prefs, cached netmap).</summary>
    public required string StateDir { get; init; }

    /// <summary>The local API socket. Defaults to <see cref="NodeConstants.DefaultSocketPath"/>.</summary>
    public string SocketPath { get; init; } = NodeConstants.DefaultSocketPath;

    /// <summary>The TUN interface name. Defaults to weft0.</summary>
    public string TunName { get; init; } = "weft0";

    /// <summary>The WireGuard UDP port; 0 picks a free one. Defaults to 41641.</summary>
    public ushort Port { get; init; } = NodeConstants.DefaultPort;

    /// <summary>A local user (name or uid) allowed to use the local API besides root and the daemon's user.</summary>
    public string? OperatorUser { get; init; }
}
