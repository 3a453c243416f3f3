using System.Net;
using System.Net.Sockets;

namespace Weft.Policy.Evaluation;

/// <summary>Prefix arithmetic the compiler needs: containment, overlap, strict parsing and subtraction.</summary>
internal static class Prefixes
{
    /// <summary>The host prefix (/32 or /128) of one address.</summary>
    public static IPNetwork Single(IPAddress address) =>
        new(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);

    /// <summary>True when <paramref name="inner"/> lies entirely inside <paramref name="outer"/>.</summary>
    public static bool Contains(IPNetwork outer, IPNetwork inner) =>
        outer.BaseAddress.AddressFamily == inner.BaseAddress.AddressFamily
        && inner.PrefixLength >= outer.PrefixLength
        && outer.Contains(inner.BaseAddress);

    /// <summary>True when the prefixes share any address (for prefixes that means one contains the other).</summary>
    public static bool Overlaps(IPNetwork a, IPNetwork b) => Contains(a, b) || Contains(b, a);

    /// <summary>True for 0.0.0.0/0 and ::/0, the routes an exit node serves.</summary>
    public static bool IsExitRoute(IPNetwork route) => route.PrefixLength == 0;

    /// <summary>
    /// Parses "a.b.c.d", an IPv6 address, or either with "/length". Stricter than <see cref="IPAddress.TryParse(string, out IPAddress)"/>:
    /// no shorthand IPv4 ("10.1"), no zone ids, no host bits beyond the prefix length.
    /// </summary>
    public static bool TryParse(string text, out IPNetwork network, out string? problem)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText, out var address))
        {
            problem = $"\"{addressText}\" is not an IP address";
            return false;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0)
        {
            var lengthText = text.AsSpan(slash + 1);
            if (lengthText.IsEmpty || lengthText.Length > 3 || !IsDigits(lengthText)
                || !int.TryParse(lengthText, System.Globalization.CultureInfo.InvariantCulture, out length) || length > max)
            {
                problem = $"prefix length must be 0-{max}";
                return false;
            }
        }

        if (HasHostBits(address, length))
        {
            problem = $"host bits are set beyond /{length}";
            return false;
        }

        network = new IPNetwork(address, length);
        problem = null;
        return true;
    }

    /// <summary>Parses a single address strictly (see <see cref="TryParse(string, out IPNetwork, out string?)"/>).</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (text.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            address = v6;
            return true;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (p.Length is 0 or > 3 || !IsDigits(p) || (p.Length > 1 && p[0] == '0')
                || !byte.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        address = new IPAddress(bytes);
        return true;
    }

    /// <summary><paramref name="whole"/> minus every prefix in <paramref name="holes"/>, as the fewest covering prefixes.</summary>
    public static List<IPNetwork> Subtract(IPNetwork whole, IReadOnlyList<IPNetwork> holes)
    {
        var result = new List<IPNetwork>();
        SubtractInto(whole, holes, result);
        return result;
    }

    private static void SubtractInto(IPNetwork p, IReadOnlyList<IPNetwork> holes, List<IPNetwork> result)
    {
        var overlaps = false;
        foreach (var hole in holes)
        {
            if (Contains(hole, p))
            {
                return;
            }

            overlaps |= Contains(p, hole);
        }

        if (!overlaps)
        {
            result.Add(p);
            return;
        }

        // Some hole sits strictly inside p: split p in two halves and recurse on each.
        var bytes = p.BaseAddress.GetAddressBytes();
        var length = p.PrefixLength + 1;
        result.Capacity = Math.Max(result.Capacity, result.Count + 2);
        SubtractInto(new IPNetwork(new IPAddress(bytes), length), holes, result);
        bytes[p.PrefixLength / 8] |= (byte)(0x80 >> (p.PrefixLength % 8));
        SubtractInto(new IPNetwork(new IPAddress(bytes), length), holes, result);
    }

    private static bool HasHostBits(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
