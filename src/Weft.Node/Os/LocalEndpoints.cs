using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Weft.Node.Os;

/// <summary>
/// The addresses peers may reach this node at directly: every up interface's addresses except loopback,
/// link-local and the TUN itself, with the WireGuard port.
/// </summary>
public static class LocalEndpoints
{
    private static readonly IPNetwork CgNat = IPNetwork.Parse("100.64.0.0/10");

    /// <summary>"address:port" strings, IPv4 first (the more likely to work between namespaces, LANs and NATs).</summary>
    public static IReadOnlyList<string> Gather(int port, string tunName)
    {
        var v4 = new List<string>();
        var v6 = new List<string>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus == OperationalStatus.Down || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || nic.Name == tunName)
            {
                continue;
            }
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6Multicast)
                {
                    continue;
                }
                if (address.AddressFamily == AddressFamily.InterNetwork && !CgNat.Contains(address))
                {
                    v4.Add(new IPEndPoint(address, port).ToString());
                }
                else if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    v6.Add(new IPEndPoint(address, port).ToString());
                }
            }
        }
        return [.. v4, .. v6];
    }
}
