using System.Buffers.Binary;
using System.Net;

namespace Weft.WireGuard.AllowedIps;

/// <summary>
/// WireGuard's cryptokey routing table: IPv4 and IPv6 prefixes mapped to the peer that owns them, looked
/// up by longest prefix match, both to pick the peer an outgoing packet goes to and to check that a
/// decrypted packet's source belongs to the peer it came from.
/// </summary>
/// <remarks>
/// Lookups are lock-free and allocation-free and may run on any number of threads while one writer
/// changes the table; writers serialize on one lock (see <see cref="TrieNode{T}"/> for why readers stay safe).
/// Owners are compared by reference.
/// </remarks>
public sealed class AllowedIpsTable<T>
    where T : class
{
    // The tries hang off holder nodes (child 0 is the root) so that replacing the root is one more link write.
    private readonly TrieNode<T> _root4 = new(UInt128.Zero, 0, isV4: true, owner: null);
    private readonly TrieNode<T> _root6 = new(UInt128.Zero, 0, isV4: false, owner: null);

    // _writeGate guards the fields below and every change to the tries.
    private readonly Lock _writeGate = new();
    private readonly Dictionary<T, HashSet<TrieNode<T>>> _byOwner = new(ReferenceEqualityComparer.Instance);
    private int _count;

    /// <summary>Number of prefixes in the table (both families).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Maps <paramref name="prefix"/> to <paramref name="owner"/>; host bits are ignored. An identical prefix
    /// owned by another peer moves to this one, as WireGuard does.
    /// </summary>
    public void Insert(IPNetwork prefix, T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (!PrefixBits.TryFromNetwork(prefix, out var bits, out var isV4))
        {
            throw new ArgumentException($"allowed IP {prefix} is neither IPv4 nor IPv6", nameof(prefix));
        }
        lock (_writeGate)
        {
            InsertLocked(isV4 ? _root4 : _root6, bits, prefix.PrefixLength, isV4, owner);
        }
    }

    /// <summary>Removes <paramref name="prefix"/> if <paramref name="owner"/> owns it; true if it did.</summary>
    public bool Remove(IPNetwork prefix, T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (!PrefixBits.TryFromNetwork(prefix, out var bits, out var isV4))
        {
            return false;
        }
        lock (_writeGate)
        {
            var holder = isV4 ? _root4 : _root6;
            var node = FindExact(holder, bits, prefix.PrefixLength);
            if (node is null || !ReferenceEquals(node.Owner, owner))
            {
                return false;
            }
            Disown(node, owner);
            UnlinkLocked(holder, node);
            return true;
        }
    }

    /// <summary>Removes every prefix <paramref name="owner"/> owns (a peer being removed or replacing its allowed IPs).</summary>
    public void RemoveByOwner(T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_writeGate)
        {
            if (!_byOwner.Remove(owner, out var nodes))
            {
                return;
            }
            foreach (var node in nodes)
            {
                _count--;
                UnlinkLocked(node.IsV4 ? _root4 : _root6, node);
            }
            Volatile.Write(ref _count, _count);
        }
    }

    /// <summary>Empties the table.</summary>
    public void Clear()
    {
        lock (_writeGate)
        {
            _root4.SetChild(0, null);
            _root6.SetChild(0, null);
            foreach (var nodes in _byOwner.Values)
            {
                foreach (var node in nodes)
                {
                    node.Owner = null;
                }
            }
            _byOwner.Clear();
            Volatile.Write(ref _count, 0);
        }
    }

    /// <summary>The owner of the longest prefix containing a 4-byte (IPv4) or 16-byte (IPv6) address; null if none or another length.</summary>
    public T? Lookup(ReadOnlySpan<byte> address) => address.Length switch
    {
        4 => Find(_root4, PrefixBits.FromV4(BinaryPrimitives.ReadUInt32BigEndian(address))),
        16 => Find(_root6, BinaryPrimitives.ReadUInt128BigEndian(address)),
        _ => null,
    };

    /// <summary>The owner of the longest IPv4 prefix containing <paramref name="address"/>, given in host order (as ReadUInt32BigEndian returns it).</summary>
    public T? LookupV4(uint address) => Find(_root4, PrefixBits.FromV4(address));

    /// <summary>The owner of the longest IPv6 prefix containing <paramref name="address"/>, given in host order (as ReadUInt128BigEndian returns it).</summary>
    public T? LookupV6(UInt128 address) => Find(_root6, address);

    /// <summary>
    /// Appends the prefixes <paramref name="owner"/> owns, IPv4 first, each family by address then length
    /// (a stable order for `wg show` and the UAPI).
    /// </summary>
    public void CopyPrefixesOf(T owner, List<IPNetwork> into)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(into);
        List<TrieNode<T>> sorted;
        lock (_writeGate)
        {
            if (!_byOwner.TryGetValue(owner, out var nodes))
            {
                return;
            }
            sorted = new List<TrieNode<T>>(nodes);
        }
        sorted.Sort(CompareForDisplay);
        foreach (var node in sorted)
        {
            into.Add(PrefixBits.ToNetwork(node.Bits, node.Length, node.IsV4));
        }
    }

    private static int CompareForDisplay(TrieNode<T> a, TrieNode<T> b)
    {
        if (a.IsV4 != b.IsV4)
        {
            return a.IsV4 ? -1 : 1;
        }
        var byBits = a.Bits.CompareTo(b.Bits);
        return byBits != 0 ? byBits : a.Length.CompareTo(b.Length);
    }

    private static T? Find(TrieNode<T> holder, UInt128 address)
    {
        T? best = null;
        var node = holder.Child(0);
        while (node is not null && node.Contains(address))
        {
            var owner = node.Owner;
            if (owner is not null)
            {
                best = owner;
            }
            if (node.Length == PrefixBits.V6Bits)
            {
                break;
            }
            node = node.Child(PrefixBits.Bit(address, node.Length));
        }
        return best;
    }

    private static TrieNode<T>? FindExact(TrieNode<T> holder, UInt128 bits, int length)
    {
        var node = holder.Child(0);
        while (node is not null && node.Length < length && node.Contains(bits))
        {
            node = node.Child(PrefixBits.Bit(bits, node.Length));
        }
        return node is not null && node.Length == length && node.Bits == bits ? node : null;
    }

    // Caller holds _writeGate.
    private void InsertLocked(TrieNode<T> holder, UInt128 bits, int length, bool isV4, T owner)
    {
        bits &= PrefixBits.Mask(length);
        var parent = holder;
        var side = 0;
        var node = holder.Child(0);
        while (true)
        {
            if (node is null)
            {
                var leaf = new TrieNode<T>(bits, length, isV4, owner);
                Adopt(leaf, owner);
                parent.SetChild(side, leaf);
                return;
            }
            var common = PrefixBits.CommonLength(node.Bits, bits, Math.Min(node.Length, length));
            if (common == node.Length && node.Length == length)
            {
                var previous = node.Owner;
                if (ReferenceEquals(previous, owner))
                {
                    return;
                }
                if (previous is not null)
                {
                    Disown(node, previous);
                }
                node.Owner = owner;
                Adopt(node, owner);
                return;
            }
            if (common == node.Length)
            {
                parent = node;
                side = PrefixBits.Bit(bits, node.Length);
                node = node.Child(side);
                continue;
            }
            // Build the new subtree completely before the one link write that publishes it.
            var fresh = new TrieNode<T>(bits, length, isV4, owner);
            Adopt(fresh, owner);
            if (common == length)
            {
                fresh.SetChild(PrefixBits.Bit(node.Bits, length), node);
                parent.SetChild(side, fresh);
                return;
            }
            var branch = new TrieNode<T>(bits, common, isV4, owner: null);
            branch.SetChild(PrefixBits.Bit(bits, common), fresh);
            branch.SetChild(PrefixBits.Bit(node.Bits, common), node);
            parent.SetChild(side, branch);
            return;
        }
    }

    // Caller holds _writeGate and has already disowned the node. Keeps the invariant that an ownerless
    // node (other than a holder) has two children, so lookups never walk chains of empty nodes.
    private static void UnlinkLocked(TrieNode<T> holder, TrieNode<T> target)
    {
        TrieNode<T>? grand = null;
        var grandSide = 0;
        var parent = holder;
        var side = 0;
        var node = holder.Child(0);
        while (node is not null && !ReferenceEquals(node, target))
        {
            if (node.Length >= target.Length || !node.Contains(target.Bits))
            {
                return;
            }
            grand = parent;
            grandSide = side;
            parent = node;
            side = PrefixBits.Bit(target.Bits, node.Length);
            node = node.Child(side);
        }
        if (node is null)
        {
            return;
        }
        node.Owner = null;
        switch (node.ChildCount)
        {
            case 2:
                return;
            case 1:
                parent.SetChild(side, node.Child(0) ?? node.Child(1));
                return;
            default:
                parent.SetChild(side, null);
                if (grand is not null && parent.Owner is null)
                {
                    grand.SetChild(grandSide, parent.Child(1 - side));
                }
                return;
        }
    }

    // Caller holds _writeGate.
    private void Adopt(TrieNode<T> node, T owner)
    {
        if (!_byOwner.TryGetValue(owner, out var nodes))
        {
            nodes = [];
            _byOwner.Add(owner, nodes);
        }
        nodes.Add(node);
        Volatile.Write(ref _count, _count + 1);
    }

    // Caller holds _writeGate.
    private void Disown(TrieNode<T> node, T owner)
    {
        if (_byOwner.TryGetValue(owner, out var nodes) && nodes.Remove(node))
        {
            if (nodes.Count == 0)
            {
                _byOwner.Remove(owner);
            }
            Volatile.Write(ref _count, _count - 1);
        }
    }
}
