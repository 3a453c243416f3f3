using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control.Console;

/// <summary>One machine as the console lists it: the stored node plus what the list shows beside it.</summary>
/// <param name="Owner">The login of the user who registered it.</param>
/// <param name="Online">True while it holds a map stream to this server.</param>
public sealed record MachineRow(NodeRecord Node, string Owner, HostInfo Host, bool Online, bool Expired)
{
    /// <summary>This server's version; a client older than it is offered an update.</summary>
    private static readonly Version ServerVersion = typeof(MachineRow).Assembly.GetName().Version ?? new Version(0, 0);

    /// <summary>True when the machine reports a client version older than this server's.</summary>
    public bool UpdateAvailable => Version.TryParse(Host.ClientVersion, out var v) && Normalize(v) < Normalize(ServerVersion);

    /// <summary>
    /// How an online machine reaches its active peers, from the net info it reports: "direct" when every one is
    /// direct, "relay" (with its home relay's code) when every one is relayed, "mixed" when both, null when it
    /// is offline, has no active peers or never reported.
    /// </summary>
    public string? PathSummary => !Online ? null : Host.NetInfo switch
    {
        { DirectPeers: > 0, RelayedPeers: 0 } => "direct",
        { DirectPeers: 0, RelayedPeers: > 0 } n => n.HomeRelay.Length > 0 ? "relay " + n.HomeRelay : "relay",
        { DirectPeers: > 0, RelayedPeers: > 0 } => "mixed",
        _ => null,
    };

    /// <summary>What changes on screen; two rows with equal stamps look the same.</summary>
    public string Stamp => $"{Node.Id}|{Node.Name}|{Online}|{Expired}|{Node.Authorized}|{Node.KeyExpiry?.ToUnixTimeSeconds()}|{string.Join(',', Node.Tags)}|{Host.OS}|{Host.ClientVersion}|{Host.NetInfo}";

    /// <summary>"1.2" and "1.2.0.0" compare equal: missing parts count as zero.</summary>
    private static Version Normalize(Version v) => new(v.Major, v.Minor, Math.Max(v.Build, 0), Math.Max(v.Revision, 0));
}
