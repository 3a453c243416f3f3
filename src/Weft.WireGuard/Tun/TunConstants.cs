namespace Weft.WireGuard.Tun;

/// <summary>Numbers of the Linux TUN device that Weft chooses (the kernel's own are in Interop/Interop.TunLibc.cs).</summary>
public static class TunConstants
{
    /// <summary>
    /// Segments one read may return: a 64 KiB TSO superpacket cut at the smallest MTU worth supporting
    /// (576, so 536-byte segments) yields 123, rounded up. Also the batch the writer coalesces at once.
    /// </summary>
    public const int BatchSize = 128;

    /// <summary>The clone device every TUN interface is created through.</summary>
    public const string CloneDevicePath = "/dev/net/tun";

    /// <summary>Smallest MTU accepted: IPv4's minimum (RFC 791); IPv6 needs 1280 but the kernel enforces that per family.</summary>
    public const int MinMtu = 68;

    /// <summary>Largest MTU accepted: one IP packet.</summary>
    public const int MaxMtu = Constants.MaxSegmentSize;
}
