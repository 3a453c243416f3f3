namespace Weft.WireGuard.Uapi;

/// <summary>
/// The status a UAPI request ends with (`errno=N`): zero or a negated Linux errno, with the same numbers
/// and the same causes as wireguard-go so `wg` prints the same messages.
/// </summary>
public enum UapiErrno
{
    /// <summary>Success.</summary>
    None = 0,

    /// <summary>-EIO: the request could not be read (a line longer than the limit).</summary>
    IO = -5,

    /// <summary>-EINVAL: an unknown or out-of-place key, or a value that does not parse.</summary>
    Invalid = -22,

    /// <summary>-ENOBUFS: the device failed in a way the protocol has no number for.</summary>
    Unknown = -55,

    /// <summary>-EPROTO: a line without '=' or an unknown operation.</summary>
    Protocol = -71,

    /// <summary>-EADDRINUSE: the listen port (or fwmark) could not be applied to the socket.</summary>
    PortInUse = -98,
}
