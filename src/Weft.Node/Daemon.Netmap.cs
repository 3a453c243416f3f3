using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Node.ControlLoop;
using Weft.Node.Engine;

namespace Weft.Node;

public sealed partial class Daemon
{
    /// <summary>
    /// Applies one map message of the current loop. A malformed one is logged and counted, the last good
    /// netmap stays, and the connection is restarted so the server sends a whole fresh map.
    /// </summary>
    private async Task OnMapAsync(LoopRun run, string profileId, MapResponse message, bool firstOfStream, CancellationToken ct)
    {
        await _opGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!IsCurrent(run))
            {
                return;
            }
            NoteLatestClientVersion(message, firstOfStream);
            Netmap? current;
            lock (_lock)
            {
                current = _netmap;
            }
            Netmap next;
            var changes = NetmapChanges.All;
            try
            {
                if (firstOfStream && message.Peers is null)
                {
                    throw new NetmapException("the stream began with a delta instead of a full map");
                }
                next = current is null || message.Peers is not null ? Netmap.FromFull(message) : current.Apply(message, out changes);
            }
            catch (NetmapException ex)
            {
                var count = Interlocked.Increment(ref _malformedMaps);
                LogMalformedMap(_logger, ex.Message, count);
                throw new ControlProtocolException($"malformed map from the server ({ex.Message}); reconnecting for a fresh one");
            }
            if (changes == NetmapChanges.None)
            {
                return;
            }
            lock (_lock)
            {
                _netmap = next;
            }
            await ApplyNetmapLockedAsync(next, changes, ct).ConfigureAwait(false);
            // Cached after every change: a restart (even after kill -9) resumes with these peers before the server answers.
            _store.SaveNetmap(profileId, next.ToFullMap());
        }
        finally
        {
            _opGate.Release();
        }
    }

    /// <summary>Brings the engine, OS, filter and DNS in line with <paramref name="netmap"/>; caller holds <see cref="_opGate"/>.</summary>
    private async Task ApplyNetmapLockedAsync(Netmap netmap, NetmapChanges changes, CancellationToken ct)
    {
        EngineHost? engine;
        bool wantRunning;
        lock (_lock)
        {
            engine = _engine;
            wantRunning = CurrentProfile(_state)?.Prefs.WantRunning ?? false;
        }
        if (engine is null || !wantRunning)
        {
            return;
        }
        // Paths first: the configurator pins a peer to its synthetic endpoint only once the bind knows the peer.
        ApplyPathsLocked(engine, netmap, changes);
        if ((changes & NetmapChanges.Peers) != 0)
        {
            engine.Configurator.Apply(netmap.Peers.Values);
        }
        var selfAddresses = new List<IPNetwork>();
        foreach (var text in netmap.Self.Addresses)
        {
            if (ParsePrefix(text) is { } prefix)
            {
                selfAddresses.Add(prefix);
            }
        }
        if ((changes & NetmapChanges.Self) != 0)
        {
            try
            {
                List<IPNetwork> addresses = [.. selfAddresses, new IPNetwork(IPAddress.Parse(NodeConstants.MagicDnsIPv4), 32)];
                List<IPNetwork> routes = [IPNetwork.Parse(NodeConstants.TailnetIPv4Range)];
                foreach (var address in selfAddresses)
                {
                    if (address.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        // The tailnet's IPv6 range is the /48 its addresses come from.
                        routes.Add(new IPNetwork(Mask(address.BaseAddress, 48), 48));
                    }
                }
                // MagicDNS's IPv6 twin sits on the TUN whether or not the tailnet hands out IPv6.
                addresses.Add(new IPNetwork(IPAddress.Parse(NodeConstants.MagicDnsIPv6), 128));
                await engine.Os.SetAddressesAsync(addresses, ct).ConfigureAwait(false);
                await engine.Os.SetRoutesAsync(routes, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                LogOsFailed(_logger, ex.Message);
            }
        }
        await ApplyIntegrationsLockedAsync(netmap, changes, selfAddresses, ct).ConfigureAwait(false);
    }

    /// <summary>Removes peers, addresses and routes from the data plane (down, logout, switch); caller holds <see cref="_opGate"/>.</summary>
    private async Task ClearDataPlaneLockedAsync(CancellationToken ct)
    {
        EngineHost? engine;
        lock (_lock)
        {
            engine = _engine;
            _netmap = null;
        }
        await StopIntegrationsAsync().ConfigureAwait(false);
        if (engine is null)
        {
            return;
        }
        engine.Configurator.Clear();
        try
        {
            await engine.Os.ClearAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            LogOsFailed(_logger, ex.Message);
        }
    }

    private static IPAddress Mask(IPAddress address, int bits)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(bits - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPAddress(bytes);
    }
}
