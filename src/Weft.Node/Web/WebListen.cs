using System.Globalization;
using System.Net;

namespace Weft.Node.Web;

/// <summary>
/// Parses `weft web --listen`: the UI drives the daemon with root's authority, so it is only ever served on a
/// loopback address, where only this machine's users can reach it.
/// </summary>
public static class WebListen
{
    /// <summary>The default address: IPv4 loopback on a fixed port so bookmarks keep working.</summary>
    public const string Default = "127.0.0.1:8088";

    /// <summary>"127.0.0.1:8088", "[::1]:8088", "localhost:8088" into an endpoint; anything else throws with a message for the user.</summary>
    public static IPEndPoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            value = "127.0.0.1" + value["localhost".Length..];
        }

        if (!IPEndPoint.TryParse(value, out var endpoint) || endpoint.Port is < 0 or > 65535 || !value.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"--listen needs ADDRESS:PORT on loopback (127.0.0.1:8088, [::1]:8088, localhost:8088), not '{text}'");
        }

        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"--listen {text}: the web UI controls this device, so it only listens on loopback (127.0.0.1 or [::1]); open it on this machine, or tunnel to it with `ssh -L`"));
        }

        return endpoint;
    }
}
