using System.Net;
using System.Text;

namespace Weft.Node.PortMapping;

/// <summary>
/// SSDP (UPnP Device Architecture 1.1 §1.3) as far as finding an Internet Gateway Device needs: M-SEARCH
/// requests for the IGD device and WAN connection service types, and decoding the unicast answers.
/// Decoding never throws: anything that is not a "200 OK" with a LOCATION and one of our search targets yields false.
/// </summary>
public static class Ssdp
{
    /// <summary>The SSDP multicast group and port every UPnP device listens on.</summary>
    public static readonly IPEndPoint MulticastEndPoint = new(IPAddress.Parse("239.255.255.250"), 1900);

    /// <summary>
    /// What we search for, best first: the IGD device types, then the WAN connection services directly (some gateways
    /// answer only a search for their service). Any of them leads to a description listing the control URL.
    /// </summary>
    public static readonly IReadOnlyList<string> SearchTargets =
    [
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        UpnpDescription.WanIpConnection2,
        UpnpDescription.WanIpConnection1,
        UpnpDescription.WanPppConnection1,
    ];

    /// <summary>Largest answer read; a real one is a few hundred bytes. Our choice.</summary>
    public const int MaxDatagram = 2048;

    /// <summary>
    /// Seconds a device may wait before answering (it spreads answers at random over this window). 1 s is the
    /// minimum the specification allows and keeps discovery short.
    /// </summary>
    public const int MaxWaitSeconds = 1;

    /// <summary>Encodes an M-SEARCH request for <paramref name="searchTarget"/> addressed to <paramref name="host"/>.</summary>
    public static byte[] WriteSearch(string searchTarget, IPEndPoint host)
    {
        ArgumentException.ThrowIfNullOrEmpty(searchTarget);
        ArgumentNullException.ThrowIfNull(host);
        return Encoding.ASCII.GetBytes(
            "M-SEARCH * HTTP/1.1\r\n" +
            $"HOST: {host}\r\n" +
            "MAN: \"ssdp:discover\"\r\n" +
            $"MX: {MaxWaitSeconds}\r\n" +
            $"ST: {searchTarget}\r\n" +
            "\r\n");
    }

    /// <summary>
    /// Decodes a search answer: an HTTP/1.x 200 status line, then headers (names case-insensitive) of which LOCATION
    /// (an absolute http URL) and ST (one of <see cref="SearchTargets"/>) are required.
    /// </summary>
    public static bool TryParseResponse(ReadOnlySpan<byte> datagram, out SsdpResponse? response)
    {
        response = null;
        if (datagram.Length is 0 or > MaxDatagram)
        {
            return false;
        }
        foreach (var b in datagram)
        {
            // Headers are ASCII text; control characters other than CR, LF and TAB mean garbage.
            if (b is > 0x7e or (< 0x20 and not (byte)'\r' and not (byte)'\n' and not (byte)'\t'))
            {
                return false;
            }
        }
        var lines = Encoding.ASCII.GetString(datagram).Split("\r\n");
        var status = lines[0].Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || status[1] != "200")
        {
            return false;
        }
        string? location = null;
        string? searchTarget = null;
        string? server = null;
        foreach (var line in lines.AsSpan(1))
        {
            if (line.Length == 0)
            {
                break;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
            {
                location = value;
            }
            else if (name.Equals("ST", StringComparison.OrdinalIgnoreCase))
            {
                searchTarget = value;
            }
            else if (name.Equals("SERVER", StringComparison.OrdinalIgnoreCase))
            {
                server = value;
            }
        }
        if (searchTarget is null || !SearchTargets.Contains(searchTarget, StringComparer.Ordinal)
            || !Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            return false;
        }
        response = new SsdpResponse(uri, searchTarget, server);
        return true;
    }
}
