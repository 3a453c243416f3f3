namespace Weft.WireGuard;

/// <summary>
/// Inspects IP packets on the data path and decides which may pass: the node's firewall hooks in here.
/// Called from the device's reader and writer threads, possibly concurrently; must not allocate or block.
/// </summary>
public interface IPacketFilter
{
    /// <summary>An outbound packet read from the TUN, before encryption. Return false to drop it.</summary>
    bool AllowOutbound(ReadOnlySpan<byte> ipPacket);

    /// <summary>An inbound packet after decryption and the cryptokey-routing check, before it is written to the TUN. Return false to drop it.</summary>
    bool AllowInbound(ReadOnlySpan<byte> ipPacket);
}
