using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control.Console;

/// <summary>One machine as the console lists it: the stored node plus what the list shows beside it.</summary>
/// <param name="Owner">The login of the user who registered it.</param>
/// <param name="Online">True while it holds a map stream to this server.</param>
public sealed record MachineRow(NodeRecord Node, string Owner, HostInfo Host, bool Online, bool Expired)
{
    /// <summary>What changes on screen; two rows with equal stamps look the same.</summary>
    public string Stamp => $"{Node.Id}|{Node.Name}|{Online}|{Expired}|{Node.Authorized}|{Node.KeyExpiry?.ToUnixTimeSeconds()}|{string.Join(',', Node.Tags)}|{Host.OS}|{Host.ClientVersion}";
}
