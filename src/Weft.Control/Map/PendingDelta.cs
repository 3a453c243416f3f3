using Weft.Core.Control;
using Weft.Core.Wire;

namespace Weft.Control.Map;

/// <summary>
/// The deltas a session has not written yet, merged into one response. Each peer id appears at most once
/// (its latest full description, a merged patch, or its removal), so what waits for a slow session is
/// bounded by the tailnet's size, never by the number of changes. Not thread-safe: the session locks.
/// </summary>
internal sealed class PendingDelta
{
    /// <summary>Tables that grew beyond this capacity are shrunk when taken; smaller ones keep their room for the next delta.</summary>
    private const int TrimAbove = 32;

    private readonly Dictionary<long, Node> _changed = [];
    private readonly List<long> _changedOrder = [];
    private readonly HashSet<long> _removed = [];

    /// <summary>
    /// A long removal list (a policy edit's) kept as it came while nothing else names peers: every session gets
    /// one at once, and hashing 10,000 ids in each of 10,000 sessions took gigabytes. Moved into _removed as
    /// soon as a later delta needs per-id merging. Its ids are distinct (they come from a node set).
    /// </summary>
    private IReadOnlyList<long>? _removedBulk;
    private readonly Dictionary<long, PeerPatch> _patched = [];
    private readonly List<long> _patchedOrder = [];
    private readonly Dictionary<long, UserProfile> _profiles = [];
    private Node? _self;
    private IReadOnlyList<FilterRule>? _filter;
    private DnsConfig? _dns;
    private RelayMap? _relayMap;
    private bool _keepAlive;

    /// <summary>True when nothing waits.</summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>Peer entries waiting (changed, removed and patched); what the session's bound counts.</summary>
    public int PeerEntries => _changed.Count + _removed.Count + (_removedBulk?.Count ?? 0) + _patched.Count;

    /// <summary>Folds <paramref name="r"/> in after everything merged so far; the result means the same as sending both in order.</summary>
    public void Merge(MapResponse r)
    {
        IsEmpty = false;
        _keepAlive |= r.KeepAlive;
        if (r.Self is { } self)
        {
            _self = self;
        }

        if (r.PeersRemoved is { Count: > TrimAbove } bulk && _removedBulk is null && _removed.Count == 0 && _changed.Count == 0 && _patched.Count == 0)
        {
            _removedBulk = bulk;
        }
        else if (r.PeersRemoved is { } removed)
        {
            SpillBulk();
            foreach (var id in removed)
            {
                // A removal supersedes a description or patch queued before it.
                _changed.Remove(id);
                _patched.Remove(id);
                _removed.Add(id);
            }
        }

        if (r.PeersChanged is { } changed)
        {
            SpillBulk();
            foreach (var n in changed)
            {
                // A later full description carries every earlier patch's fields: the patches are dropped.
                _removed.Remove(n.Id);
                _patched.Remove(n.Id);
                if (!_changed.ContainsKey(n.Id))
                {
                    _changedOrder.Add(n.Id);
                }

                _changed[n.Id] = n;
            }
        }

        if (r.PeersPatched is { } patches)
        {
            // A patch to a removed peer stays queued behind its removal, as it does for a hashed removal.
            foreach (var p in patches)
            {
                if (_patched.TryGetValue(p.Id, out var earlier))
                {
                    _patched[p.Id] = new PeerPatch
                    {
                        Id = p.Id,
                        Endpoints = p.Endpoints ?? earlier.Endpoints,
                        DiscoKey = p.DiscoKey ?? earlier.DiscoKey,
                        Online = p.Online ?? earlier.Online,
                        KeyExpiry = p.KeyExpiry ?? earlier.KeyExpiry,
                    };
                }
                else
                {
                    _patched[p.Id] = p;
                    _patchedOrder.Add(p.Id);
                }
            }
        }

        if (r.PacketFilter is { } filter)
        {
            _filter = filter;
        }

        if (r.Dns is { } dns)
        {
            _dns = dns;
        }

        if (r.RelayMap is { } relayMap)
        {
            _relayMap = relayMap;
        }

        if (r.UserProfiles is { } profiles)
        {
            foreach (var u in profiles)
            {
                _profiles[u.Id] = u;
            }
        }
    }

    /// <summary>The merged response (a keepalive only when nothing else waits); clears the state.</summary>
    public MapResponse Take()
    {
        var changed = Ordered(_changedOrder, _changed);
        var patched = Ordered(_patchedOrder, _patched);
        var removed = _removedBulk ?? (_removed.Count > 0 ? [.. _removed] : null);
        List<UserProfile>? profiles = _profiles.Count > 0 ? [.. _profiles.Values] : null;
        var hasContent = _self is not null || changed is not null || removed is not null || patched is not null || _filter is not null || _dns is not null || _relayMap is not null || profiles is not null;
        var response = new MapResponse
        {
            // The load generator and clients treat a keepalive frame as carrying nothing: never mark real content as one.
            KeepAlive = _keepAlive && !hasContent,
            Self = _self,
            PeersChanged = changed,
            PeersRemoved = removed,
            PeersPatched = patched,
            PacketFilter = _filter,
            Dns = _dns,
            UserProfiles = profiles,
            RelayMap = _relayMap,
        };

        // Cleared tables keep their capacity: a join burst grows them to the tailnet's size in every session,
        // so trimming is what keeps idle sessions small (measured: 2,000 sessions held about 300 MiB untrimmed).
        Reset(_changed);
        Reset(_changedOrder);
        Reset(_removed);
        Reset(_patched);
        Reset(_patchedOrder);
        Reset(_profiles);
        _removedBulk = null;
        _self = null;
        _filter = null;
        _dns = null;
        _relayMap = null;
        _keepAlive = false;
        IsEmpty = true;
        return response;
    }

    /// <summary>Moves a kept removal list into the hashed table before a delta that merges per id.</summary>
    private void SpillBulk()
    {
        if (_removedBulk is { } bulk)
        {
            _removedBulk = null;
            _removed.UnionWith(bulk);
        }
    }

    private static void Reset<T>(Dictionary<long, T> d)
    {
        d.Clear();
        if (d.EnsureCapacity(0) > TrimAbove)
        {
            d.TrimExcess();
        }
    }

    private static void Reset(HashSet<long> set)
    {
        set.Clear();
        if (set.EnsureCapacity(0) > TrimAbove)
        {
            set.TrimExcess();
        }
    }

    private static void Reset(List<long> list)
    {
        list.Clear();
        if (list.Capacity > TrimAbove)
        {
            list.TrimExcess();
        }
    }

    /// <summary>The values in first-queued order (ids since superseded are skipped); null when none.</summary>
    private static List<T>? Ordered<T>(List<long> order, Dictionary<long, T> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var list = new List<T>(values.Count);
        foreach (var id in order)
        {
            // An id removed and queued again appears twice in order; take its value once.
            if (values.Remove(id, out var v))
            {
                list.Add(v);
            }
        }

        return list;
    }
}
