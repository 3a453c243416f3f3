using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.WireGuard.Conn;

/// <summary>
/// A UDP address and port held as a value (IPv4 as an IPv4-mapped IPv6 address) so the data path
/// can carry one per packet without allocating.
/// </summary>
public readonly struct UdpEndpoint : IEquatable<UdpEndpoint>
{
    private readonly UInt128 _address;

    /// <summary>The port in host order.</summary>
    public ushort Port { get; }

    /// <summary>Builds from 16 bytes of IPv6 (or IPv4-mapped) address in network order and a port.</summary>
    public UdpEndpoint(ReadOnlySpan<byte> address16, ushort port)
    {
        _address = BinaryPrimitives.ReadUInt128BigEndian(address16);
        Port = port;
    }

    /// <summary>Builds from an IPv4 address in network order and a port.</summary>
    public static UdpEndpoint FromIPv4(ReadOnlySpan<byte> address4, ushort port)
    {
        Span<byte> mapped = stackalloc byte[16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        address4.CopyTo(mapped[12..]);
        return new UdpEndpoint(mapped, port);
    }

    /// <summary>Builds from a framework endpoint (not for the data path: it allocates nothing but parsing did).</summary>
    public static UdpEndpoint From(IPEndPoint endpoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        var address = endpoint.Address.AddressFamily == AddressFamily.InterNetwork ? endpoint.Address.MapToIPv6() : endpoint.Address;
        address.TryWriteBytes(bytes, out _);
        return new UdpEndpoint(bytes, (ushort)endpoint.Port);
    }

    /// <summary>True when no address is set.</summary>
    public bool IsEmpty => _address == UInt128.Zero && Port == 0;

    /// <summary>True when the address is IPv4-mapped.</summary>
    public bool IsIPv4 => (_address >> 32) == 0xffff;

    /// <summary>Writes the 16-byte (possibly IPv4-mapped) address in network order.</summary>
    public void WriteAddress(Span<byte> address16) => BinaryPrimitives.WriteUInt128BigEndian(address16, _address);

    /// <summary>The framework form, for display and for sockets that want it.</summary>
    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteAddress(bytes);
        var address = new IPAddress(bytes);
        return new IPEndPoint(IsIPv4 ? address.MapToIPv4() : address, Port);
    }

    /// <summary>Parses "1.2.3.4:51820" or "[::1]:51820" as the UAPI and `wg` write them.</summary>
    public static bool TryParse(string text, out UdpEndpoint endpoint)
    {
        endpoint = default;
        if (!IPEndPoint.TryParse(text, out var parsed) || parsed.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal))
        {
            return false;
        }
        endpoint = From(parsed);
        return true;
    }

    public bool Equals(UdpEndpoint other) => _address == other._address && Port == other.Port;

    public override bool Equals(object? obj) => obj is UdpEndpoint other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_address, Port);

    public static bool operator ==(UdpEndpoint left, UdpEndpoint right) => left.Equals(right);

    public static bool operator !=(UdpEndpoint left, UdpEndpoint right) => !left.Equals(right);

    /// <summary>"1.2.3.4:51820" or "[fd00::1]:51820", the UAPI's form.</summary>
    public override string ToString() => ToIPEndPoint().ToString();
}
