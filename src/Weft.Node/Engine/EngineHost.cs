using Microsoft.Extensions.Logging;
using Weft.Core.Keys;
using Weft.Node.Os;
using Weft.Node.Paths;
using Weft.WireGuard;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Tun;

namespace Weft.Node.Engine;

/// <summary>
/// One incarnation of the data plane: the TUN, the UDP socket and the WireGuard device on them, with the
/// configurator that keeps its peers in line with the netmap and the OS view of the TUN. A TUN that vanishes
/// ends the incarnation (<see cref="Closed"/>); the daemon then builds a new one.
/// </summary>
public sealed class EngineHost : IDisposable
{
    private EngineHost(Device device, MagicBind paths, RelayLinks relays, EngineConfigurator configurator, OsNetwork os)
    {
        Paths = paths;
        Relays = relays;
        Device = device;
        Configurator = configurator;
        Os = os;
    }

    public Device Device { get; }

    public EngineConfigurator Configurator { get; }

    /// <summary>The bind WireGuard sends through: picks a direct path or the relay per peer, and finds our endpoints.</summary>
    public MagicBind Paths { get; }

    /// <summary>The relay connections behind <see cref="Paths"/>.</summary>
    public RelayLinks Relays { get; }

    public OsNetwork Os { get; }

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when this incarnation is disposed: background work tied to it (netcheck, port mapping) stops.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Completes when the TUN was deleted or the device stopped.</summary>
    public Task Closed => Device.Closed;

    /// <summary>
    /// Creates the TUN <paramref name="tunName"/> (MTU 1280), opens UDP <paramref name="port"/> (0 = any) and starts the
    /// device behind <paramref name="filter"/>, on a <see cref="MagicBind"/> that talks disco with <paramref name="discoKey"/>.
    /// </summary>
    /// <exception cref="IOException">The TUN or socket cannot be created (not root, name taken, port in use).</exception>
    public static async Task<EngineHost> StartAsync(string tunName, ushort port, PrivateKey? nodeKey, PrivateKey discoKey, IPacketFilter? filter, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        LinuxTun tun;
        try
        {
            tun = LinuxTun.Create(tunName, OsNetwork.TailnetMtu, loggers.CreateLogger<LinuxTun>());
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or InvalidOperationException)
        {
            throw new IOException($"cannot create TUN {tunName}: {ex.Message}", ex);
        }
        var relays = new RelayLinks(loggers, time);
        var bind = new MagicBind(new LinuxBind(null, loggers.CreateLogger<LinuxBind>()), relays, discoKey,
            nodeKey is { } k ? new NodePublic(k.PublicKey()) : default, loggers.CreateLogger<MagicBind>(), time);
        var device = new Device(tun, bind, new DeviceOptions { Time = time }, loggers.CreateLogger<Device>()) { PacketFilter = filter };
        try
        {
            if (nodeKey is { } key)
            {
                device.SetPrivateKey(key.Key);
            }
            device.SetListenPort(port);
            device.Start();
            var os = new OsNetwork(tun.Name, loggers.CreateLogger<OsNetwork>());
            await os.BringUpAsync(ct).ConfigureAwait(false);
            return new EngineHost(device, bind, relays, new EngineConfigurator(device, bind, loggers.CreateLogger<EngineConfigurator>()), os);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            device.Dispose();
            DisposeRelays(relays);
            throw new IOException($"cannot start the WireGuard engine on {tunName}: {ex.Message}", ex);
        }
        catch
        {
            device.Dispose();
            DisposeRelays(relays);
            throw;
        }
    }

    /// <summary>Stops the device (and its bind) and the relay connections, and closes the TUN, which takes the TUN's addresses and routes with it.</summary>
    public void Dispose()
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }
        Device.Dispose();
        DisposeRelays(Relays);
    }

    private static void DisposeRelays(RelayLinks relays) => relays.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
}
