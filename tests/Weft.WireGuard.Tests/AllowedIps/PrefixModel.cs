using System.Net;

namespace Weft.WireGuard.Tests.AllowedIps;

/// <summary>The obviously-correct reference: a list of (prefix, owner) scanned for the longest match.</summary>
internal sealed class PrefixModel<T>
    where T : class
{
    private readonly List<(IPNetwork Prefix, T Owner)> _entries = [];

    public int Count => _entries.Count;

    public void Insert(IPNetwork prefix, T owner)
    {
        _entries.RemoveAll(e => e.Prefix == prefix);
        _entries.Add((prefix, owner));
    }

    public bool Remove(IPNetwork prefix, T owner) => _entries.RemoveAll(e => e.Prefix == prefix && ReferenceEquals(e.Owner, owner)) > 0;

    public void RemoveByOwner(T owner) => _entries.RemoveAll(e => ReferenceEquals(e.Owner, owner));

    public T? Lookup(IPAddress address)
    {
        T? best = null;
        var bestLength = -1;
        foreach (var (prefix, owner) in _entries)
        {
            if (prefix.BaseAddress.AddressFamily == address.AddressFamily && prefix.Contains(address) && prefix.PrefixLength > bestLength)
            {
                best = owner;
                bestLength = prefix.PrefixLength;
            }
        }
        return best;
    }
}
