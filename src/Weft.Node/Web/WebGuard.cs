using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Weft.Node.Web;

/// <summary>
/// Keeps other web sites from driving the device through the browser: the Host header must name loopback on
/// our port (a DNS-rebinding page sends its own name), and every API call must echo the per-process token
/// that only a page we served can read from its SameSite=Strict cookie.
/// </summary>
public sealed class WebGuard
{
    /// <summary>The cookie the page is given on its first load.</summary>
    public const string CookieName = "weft_web_token";

    /// <summary>The header the page's script echoes the token in.</summary>
    public const string HeaderName = "X-Weft-Token";

    private readonly byte[] _token;

    /// <summary>A guard with a fresh random token (256 bits), unknown outside this process and the pages it serves.</summary>
    public WebGuard()
    {
        Token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _token = Encoding.ASCII.GetBytes(Token);
    }

    /// <summary>The token as the cookie carries it (base64url).</summary>
    public string Token { get; }

    /// <summary>True when <paramref name="host"/> is "localhost", "127.x.y.z" or "[::1]" with exactly <paramref name="localPort"/>.</summary>
    public static bool IsLoopbackHost(string? host, int localPort)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        var split = host.LastIndexOf(':');
        // An IPv6 literal without a port ends in ']'; browsers always send the port for a non-default one.
        if (split < 0 || host.EndsWith(']'))
        {
            return false;
        }

        if (!int.TryParse(host.AsSpan(split + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port != localPort)
        {
            return false;
        }

        var name = host[..split];
        if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
            return IPAddress.TryParse(name, out var v6) && v6.Equals(IPAddress.IPv6Loopback);
        }

        // Dotted quads only: "2130706433" would parse too, and no browser sends that for a page we served.
        return name.Count(c => c == '.') == 3 && IPAddress.TryParse(name, out var v4) && IPAddress.IsLoopback(v4);
    }

    /// <summary>True when the request's Origin, if it sent one, is this very server (the Host it addressed).</summary>
    public static bool IsSameOrigin(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, "http://" + request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Compares the echoed token with ours in constant time.</summary>
    public bool HasToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sent = request.Headers[HeaderName].ToString();
        if (sent.Length == 0 || sent.Length > 256)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), _token);
    }
}
