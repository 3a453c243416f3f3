namespace Weft.WireGuard.Uapi;

/// <summary>
/// What the UAPI server needs from a device. The server never calls it concurrently: one request at a
/// time across all connections, as wireguard-go holds its IPC lock.
/// </summary>
public interface IUapiDevice
{
    /// <summary>Snapshot of the configuration and counters for `get=1`; the server zeroes its secrets after writing.</summary>
    UapiDeviceState GetState();

    /// <summary>
    /// Applies a validated `set=1` request in order (replace_peers, device fields, peers); returns
    /// <see cref="UapiErrno.PortInUse"/> when the port or fwmark cannot be set, <see cref="UapiErrno.Invalid"/>
    /// when a peer cannot be created (too many peers), otherwise <see cref="UapiErrno.None"/>.
    /// </summary>
    UapiErrno Apply(UapiSetRequest request);
}
