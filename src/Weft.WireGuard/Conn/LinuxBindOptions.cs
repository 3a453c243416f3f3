namespace Weft.WireGuard.Conn;

/// <summary>Switches of <see cref="LinuxBind"/>; the defaults suit production.</summary>
public sealed class LinuxBindOptions
{
    /// <summary>Coalesce equal-size datagrams into one UDP_SEGMENT (GSO) send when the kernel supports it. Defaults to true.</summary>
    public bool UdpSegmentation { get; set; } = true;

    /// <summary>Ask the kernel for coalesced (UDP_GRO) receives and split them. Defaults to true.</summary>
    public bool UdpGenericReceive { get; set; } = true;
}
