using System.Buffers.Binary;

namespace Weft.WireGuard.Tun.Offload;

/// <summary>
/// struct virtio_net_hdr (linux/virtio_net.h), the 10 bytes the kernel puts before each packet on a TUN
/// opened with IFF_VNET_HDR: how to finish the checksum and how to segment a superpacket. Fields are in
/// the host's byte order (legacy virtio on a little-endian host), which is little-endian on every target.
/// </summary>
internal readonly record struct VirtioNetHeader(
    byte Flags, byte GsoType, ushort HdrLen, ushort GsoSize, ushort CsumStart, ushort CsumOffset)
{
    /// <summary>sizeof(struct virtio_net_hdr).</summary>
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the L4 checksum field holds only the pseudo-header sum.</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was already verified.</summary>
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;
    public const byte GsoUdpL4 = 5;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: set on top of a TCP type when the superpacket carries CWR.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>A header announcing a plain packet with complete checksums.</summary>
    public static VirtioNetHeader None => default;

    public static VirtioNetHeader Decode(ReadOnlySpan<byte> source) => new(
        source[0],
        source[1],
        BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));

    public void Encode(Span<byte> destination)
    {
        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HdrLen);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], CsumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], CsumOffset);
    }
}
