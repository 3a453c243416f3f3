namespace Weft.WireGuard.Uapi;

/// <summary>The userspace API's numbers and names: first those fixed by the protocol and `wg`, then ours.</summary>
public static class UapiConstants
{
    // Fixed by the cross-platform userspace protocol and the `wg` tool.

    /// <summary>Where `wg` looks for `&lt;interface&gt;.sock`.</summary>
    public const string DefaultSocketDirectory = "/var/run/wireguard";

    /// <summary>Suffix of a socket's file name after the interface name.</summary>
    public const string SocketSuffix = ".sock";

    /// <summary>Operation line that asks for the device's state.</summary>
    public const string GetOperation = "get=1";

    /// <summary>Operation line that starts a configuration change.</summary>
    public const string SetOperation = "set=1";

    /// <summary>The only protocol_version a peer may ask for.</summary>
    public const string ProtocolVersion = "1";

    /// <summary>Linux interface names are at most 15 bytes (IFNAMSIZ less the terminator).</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>The socket directory is world-searchable, as wireguard-go creates it.</summary>
    public const UnixFileMode DirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Only the owner (root) may talk to the socket: it hands out the private key.</summary>
    public const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // Our choices.

    /// <summary>Longest request line accepted; wireguard-go's line scanner stops at 64 KiB too. Longer lines end the connection with -EIO.</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>Connections waiting to be accepted.</summary>
    public const int ListenBacklog = 64;

    /// <summary>Longest piece of client text quoted in an error message or log line.</summary>
    public const int MaxQuotedLength = 32;
}
