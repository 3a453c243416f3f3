using System.Globalization;

namespace Weft.Lab;

/// <summary>One peer line of `wg show IFACE dump`.</summary>
public sealed record WgPeer(
    string PublicKey,
    string? Endpoint,
    string AllowedIps,
    long LatestHandshakeUnixSeconds,
    long ReceivedBytes,
    long SentBytes,
    string PersistentKeepalive);

/// <summary>`wg show IFACE dump` parsed: the interface line and one entry per peer.</summary>
public sealed record WgDump(string PublicKey, int ListenPort, IReadOnlyList<WgPeer> Peers)
{
    /// <summary>Parses the tab-separated dump format; throws a <see cref="LabException"/> quoting the text when it does not fit.</summary>
    public static WgDump Parse(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            throw new LabException("`wg show dump` printed nothing");
        }
        // Interface line: private-key public-key listen-port fwmark.
        var self = lines[0].Split('\t');
        if (self.Length < 4)
        {
            throw new LabException($"`wg show dump` interface line has {self.Length} fields: {lines[0]}");
        }
        var peers = new List<WgPeer>();
        for (var i = 1; i < lines.Length; i++)
        {
            // Peer line: public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive.
            var f = lines[i].Split('\t');
            if (f.Length < 8)
            {
                throw new LabException($"`wg show dump` peer line {i} has {f.Length} fields: {lines[i]}");
            }
            peers.Add(new WgPeer(
                f[0],
                f[2] == "(none)" ? null : f[2],
                f[3],
                long.Parse(f[4], CultureInfo.InvariantCulture),
                long.Parse(f[5], CultureInfo.InvariantCulture),
                long.Parse(f[6], CultureInfo.InvariantCulture),
                f[7]));
        }
        return new WgDump(self[1], int.Parse(self[2], CultureInfo.InvariantCulture), peers);
    }

    /// <summary>The peer with <paramref name="publicKey"/>; throws when the interface does not list it.</summary>
    public WgPeer Peer(string publicKey)
    {
        foreach (var peer in Peers)
        {
            if (peer.PublicKey == publicKey)
            {
                return peer;
            }
        }
        throw new LabException($"`wg show` does not list peer {publicKey}; it lists {Peers.Count} peer(s)");
    }
}
