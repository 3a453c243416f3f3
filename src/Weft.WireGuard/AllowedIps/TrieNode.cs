namespace Weft.WireGuard.AllowedIps;

/// <summary>
/// One node of a path-compressed binary trie: a prefix, the peer that owns it (if any) and two children.
/// Addresses are left-aligned in a UInt128 (IPv4 in the top 32 bits) so both families share the code.
/// </summary>
/// <remarks>
/// Readers walk the trie without a lock. The key fields never change after construction; only
/// <see cref="Owner"/> and the two child links change, each with one atomic reference write, and any
/// subtree is fully built before a link to it is published. A reader therefore sees either the old or
/// the new shape of every link, never a half-built node.
/// </remarks>
internal sealed class TrieNode<T>
    where T : class
{
    // Writers change these only while holding the table's _writeGate; readers use volatile reads.
    private volatile T? _owner;
    private volatile TrieNode<T>? _child0;
    private volatile TrieNode<T>? _child1;

    public TrieNode(UInt128 bits, int length, bool isV4, T? owner)
    {
        Mask = PrefixBits.Mask(length);
        Bits = bits & Mask;
        Length = length;
        IsV4 = isV4;
        _owner = owner;
    }

    /// <summary>The prefix, host bits zero, left-aligned.</summary>
    public UInt128 Bits { get; }

    /// <summary>Ones over the first <see cref="Length"/> bits.</summary>
    public UInt128 Mask { get; }

    /// <summary>Prefix length in bits (0 to 128; IPv4 uses 0 to 32).</summary>
    public int Length { get; }

    /// <summary>True in the IPv4 trie (lengths up to 32).</summary>
    public bool IsV4 { get; }

    /// <summary>The peer owning exactly this prefix, or null for a branching node.</summary>
    public T? Owner
    {
        get => _owner;
        set => _owner = value;
    }

    /// <summary>The child on the side of bit <paramref name="side"/> (0 or 1) at position <see cref="Length"/>.</summary>
    public TrieNode<T>? Child(int side) => side == 0 ? _child0 : _child1;

    /// <summary>Publishes a child link (writers only).</summary>
    public void SetChild(int side, TrieNode<T>? child)
    {
        if (side == 0)
        {
            _child0 = child;
        }
        else
        {
            _child1 = child;
        }
    }

    /// <summary>True when <paramref name="address"/> lies inside this node's prefix.</summary>
    public bool Contains(UInt128 address) => (address & Mask) == Bits;

    /// <summary>Number of non-null children.</summary>
    public int ChildCount => (_child0 is null ? 0 : 1) + (_child1 is null ? 0 : 1);
}
