using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.Os;

/// <summary>The IPv4 default gateway and our address towards it: where port mapping requests (NAT-PMP, PCP, UPnP) go.</summary>
public static class DefaultGateway
{
    /// <summary>The gateway of the IPv4 default route with the lowest metric (from /proc/net/route); null when there is none.</summary>
    public static IPAddress? Find() => File.Exists(RouteTable) ? Parse(File.ReadAllLines(RouteTable)) : null;

    /// <summary>Parses the kernel's route table text: the default route's gateway, lowest metric first.</summary>
    public static IPAddress? Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        IPAddress? best = null;
        var bestMetric = int.MaxValue;
        foreach (var line in lines.Skip(1))
        {
            // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses are hex in host (little-endian) order.
            var fields = line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 || fields[1] != "00000000" || fields[7] != "00000000"
                || !uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway) || gateway == 0
                || !int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) || (flags & RouteUp) == 0
                || !int.TryParse(fields[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric))
            {
                continue;
            }
            if (metric < bestMetric)
            {
                bestMetric = metric;
                best = new IPAddress(gateway);
            }
        }
        return best;
    }

    /// <summary>Our local address on the route to <paramref name="gateway"/> (a connected UDP socket sends nothing); null when unroutable.</summary>
    public static IPAddress? LocalAddressTowards(IPAddress gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        try
        {
            using var socket = new Socket(gateway.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(gateway, 9));
            return (socket.LocalEndPoint as IPEndPoint)?.Address;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private const string RouteTable = "/proc/net/route";

    private const int RouteUp = 0x1;
}
