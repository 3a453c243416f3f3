using Microsoft.Extensions.Logging;
using Weft.Core.Keys;
using Weft.Node.Os;
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
    private EngineHost(Device device, EngineConfigurator configurator, OsNetwork os)
    {
        Device = device;
        Configurator = configurator;
        Os = os;
    }

    public Device Device { get; }

    public EngineConfigurator Configurator { get; }

    public OsNetwork Os { get; }

    /// <summary>Completes when the TUN was deleted or the device stopped.</summary>
    public Task Closed => Device.Closed;

    /// <summary>Creates the TUN <paramref name="tunName"/> (MTU 1280), opens UDP <paramref name="port"/> (0 = any) and starts the device behind <paramref name="filter"/>.</summary>
    /// <exception cref="IOException">The TUN or socket cannot be created (not root, name taken, port in use).</exception>
    public static async Task<EngineHost> StartAsync(string tunName, ushort port, PrivateKey? nodeKey, IPacketFilter? filter, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
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
        var bind = new LinuxBind(null, loggers.CreateLogger<LinuxBind>());
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
            return new EngineHost(device, new EngineConfigurator(device, loggers.CreateLogger<EngineConfigurator>()), os);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            device.Dispose();
            throw new IOException($"cannot start the WireGuard engine on {tunName}: {ex.Message}", ex);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Stops the device and closes the TUN, which takes the TUN's addresses and routes with it.</summary>
    public void Dispose() => Device.Dispose();
}
