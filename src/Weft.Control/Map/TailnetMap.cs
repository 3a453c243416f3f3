using System.Text.Json;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Core.Wire;
using Weft.Policy;

namespace Weft.Control.Map;

/// <summary>
/// The live netmap of one tailnet: its eligible nodes (authorized, key not expired), who sees whom under
/// the current policy, and the open map sessions. Every change computes the nodes it affects from the
/// visibility sets and queues deltas to just those sessions; only a policy change revisits every pair.
/// </summary>
internal sealed class TailnetMap : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _ephemeralTimeout;
    private readonly Action<long> _ephemeralOffline;
    private readonly ITimer _expiryTimer;

    /// <summary>
    /// Runs <see cref="Publish"/> a short window after the first change of a batch. On the system clock on
    /// purpose: the window is scheduling, not protocol time, and must pass while a test's fake clock stands still.
    /// </summary>
    private readonly ITimer _publishTimer;

    /// <summary>
    /// How long changes gather before filters are refreshed and writers woken. Measured with the load
    /// generator at 1,000 nodes: waking at once, the join phase sent 328,015 frames; with 25 ms, 131,091 and
    /// the joins took 8.6 s instead of 11.2 s. A change's latency grows by at most the window.
    /// </summary>
    private static readonly TimeSpan PublishWindow = TimeSpan.FromMilliseconds(25);

    /// <summary>_gate guards every field below.</summary>
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _nodes = [];
    private readonly NodeSlots _slots = new();
    private readonly Dictionary<long, UserRecord> _users = [];
    private readonly Dictionary<long, MapSession> _sessions = [];
    private TailnetRecord _tailnet;
    private Weft.Policy.Policy _policy;
    private DnsSettings _dns;

    /// <summary>The relays nodes use, in every full map; null until the server knows it (tests without one).</summary>
    private RelayMap? _relayMap;

    /// <summary>Key expiries of eligible nodes, earliest first; entries whose node changed its expiry since are skipped when due.</summary>
    private readonly PriorityQueue<(long Id, DateTimeOffset Expiry), DateTimeOffset> _expiries = new();

    /// <summary>When _expiryTimer fires next (MaxValue: disarmed).</summary>
    private DateTimeOffset _expiryDue = DateTimeOffset.MaxValue;

    /// <summary>One timer per offline ephemeral node; firing hands the node to _ephemeralOffline for deletion.</summary>
    private readonly Dictionary<long, ITimer> _ephemeralTimers = [];

    /// <summary>Every eligible node as policy sees it, for compiling filters; null after the node set changed.</summary>
    private List<PolicyNode>? _policyNodes;

    /// <summary>Nodes whose filter may have changed since the last flush; one flush serves every change queued before it.</summary>
    private readonly HashSet<long> _filterDirty = [];

    /// <summary>Nodes added or whose policy identity changed since the last flush (the only ones that can add sources).</summary>
    private readonly HashSet<long> _filterChanged = [];

    /// <summary>True while _publishTimer is armed and <see cref="Publish"/> has not taken _gate yet.</summary>
    private bool _publishQueued;

    /// <summary>Sessions with deltas queued since the last <see cref="Publish"/>, whose writers it wakes.</summary>
    private readonly HashSet<MapSession> _toWake = [];

    /// <summary>Filters compiled over the whole tailnet since start.</summary>
    private long _fullCompiles;

    /// <summary>Set by Dispose: no more publish passes are scheduled.</summary>
    private bool _disposed;

    /// <param name="ephemeralTimeout">How long an ephemeral node may stay offline before <paramref name="ephemeralOffline"/> is called with its id.</param>
    /// <param name="ephemeralOffline">Deletes an ephemeral node; called on a timer thread, outside the map's lock.</param>
    /// <param name="routes">Stored subnet routes by node id; only the approved ones are used.</param>
    public TailnetMap(TailnetRecord tailnet, Weft.Policy.Policy policy, IEnumerable<UserRecord> users, IEnumerable<NodeRecord> nodes, TimeProvider time,
        TimeSpan ephemeralTimeout, Action<long> ephemeralOffline, IReadOnlyDictionary<long, NodeRoutes>? routes = null, DnsSettings? dns = null)
    {
        _tailnet = tailnet;
        _dns = dns ?? DnsSettings.Default;
        _policy = policy;
        _time = time;
        _ephemeralTimeout = ephemeralTimeout;
        _ephemeralOffline = ephemeralOffline;
        _expiryTimer = time.CreateTimer(_ => ExpireDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _publishTimer = TimeProvider.System.CreateTimer(static map => ((TailnetMap)map!).Publish(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var u in users)
        {
            _users[u.Id] = u;
        }

        var now = time.GetUtcNow();
        foreach (var n in nodes)
        {
            if (Eligible(n, now))
            {
                var approved = routes?.GetValueOrDefault(n.Id) is { } r ? NetmapBuilder.ParseRoutes(r.Approved) : null;
                _nodes[n.Id] = new Entry(n, NetmapBuilder.ToPolicy(n, _users.GetValueOrDefault(n.UserId), approved), _slots);
                lock (_gate)
                {
                    ScheduleExpiryLocked(n);

                    // Nobody is online right after loading: every ephemeral node gets the full timeout to come back.
                    StartEphemeralTimerLocked(n);
                }
            }
        }

        ComputeAllVisibilityLocked();
    }

    /// <summary>True when the node belongs in peers' maps at <paramref name="now"/>.</summary>
    public static bool Eligible(NodeRecord n, DateTimeOffset now) => n.Authorized && !n.IsExpired(now);

    /// <summary>Number of open sessions (for readiness and tests).</summary>
    public int SessionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Filters compiled over the whole tailnet since start (tests and diagnostics: the expensive step joins must avoid).</summary>
    public long FullFilterCompiles
    {
        get
        {
            lock (_gate)
            {
                return _fullCompiles;
            }
        }
    }

    /// <summary>Registers a session and returns its full map; null when the node is not eligible. Peers learn it is online.</summary>
    public MapResponse? Attach(MapSession session)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(session.NodeId, out var self))
            {
                return null;
            }

            if (_sessions.Remove(session.NodeId, out var old))
            {
                old.Close();
            }

            _sessions[session.NodeId] = session;
            StopEphemeralTimerLocked(session.NodeId);
            var peers = new List<Node>(self.Visible.Count);
            foreach (var id in self.Visible)
            {
                peers.Add(Wire(_nodes[id]));
            }

            if (self.Filter is null || _filterDirty.Contains(self.Record.Id) || _filterChanged.Contains(self.Record.Id))
            {
                ComputeFilterLocked(self);
                _filterDirty.Remove(self.Record.Id);
            }

            var filter = self.Filter!;
            var online = new MapResponse { PeersPatched = [new PeerPatch { Id = self.Record.Id, Online = true }] };
            foreach (var id in self.Visible)
            {
                SendLocked(_sessions.GetValueOrDefault(id), online);
            }

            return new MapResponse
            {
                Self = Wire(self),
                Peers = peers,
                PacketFilter = filter,
                Dns = Dns(),
                UserProfiles = Profiles(),
                RelayMap = _relayMap,
            };
        }
    }

    /// <summary>Removes a session if it is still the node's current one; peers learn the node went offline.</summary>
    public void Detach(MapSession session)
    {
        lock (_gate)
        {
            if (!_sessions.TryGetValue(session.NodeId, out var current) || current != session)
            {
                return;
            }

            _sessions.Remove(session.NodeId);
            if (_nodes.TryGetValue(session.NodeId, out var self))
            {
                StartEphemeralTimerLocked(self.Record);
                var offline = new MapResponse { PeersPatched = [new PeerPatch { Id = self.Record.Id, Online = false }] };
                foreach (var id in self.Visible)
                {
                    SendLocked(_sessions.GetValueOrDefault(id), offline);
                }
            }
        }
    }

    /// <summary>A user was added or changed (profiles and policy identity).</summary>
    public void UpsertUser(UserRecord user)
    {
        lock (_gate)
        {
            _users[user.Id] = user;
        }
    }

    /// <summary>Ids of the users the map knows (for a resync to drop deleted ones).</summary>
    public List<long> UserIds()
    {
        lock (_gate)
        {
            return [.. _users.Keys];
        }
    }

    /// <summary>A user was deleted (their nodes are removed separately): new full maps stop carrying their profile.</summary>
    public void RemoveUser(long userId)
    {
        lock (_gate)
        {
            _users.Remove(userId);
        }
    }

    /// <summary>
    /// A node was added or changed in storage. Peers that keep seeing it get its new description, peers that
    /// start or stop seeing it get it added or removed, and filters are refreshed for every affected node.
    /// </summary>
    public void Upsert(NodeRecord node)
    {
        lock (_gate)
        {
            UpsertLocked(node, null);
        }
    }

    /// <summary>A node's approved subnet routes changed: peers get its new allowed IPs, filters are recompiled where they change.</summary>
    public void SetRoutes(long nodeId, IReadOnlyList<System.Net.IPNetwork> approved)
    {
        lock (_gate)
        {
            // Unchanged approvals (a node re-reporting the same routes) cost nothing.
            if (_nodes.TryGetValue(nodeId, out var entry) && !entry.Policy.ApprovedRoutes.SequenceEqual(approved))
            {
                UpsertLocked(entry.Record, approved);
            }
        }
    }

    /// <summary>True when the node is in the map (authorized, key not expired).</summary>
    public bool Contains(long nodeId)
    {
        lock (_gate)
        {
            return _nodes.ContainsKey(nodeId);
        }
    }

    /// <summary>The ids of the nodes in the map, for a resync that must drop the ones deleted elsewhere.</summary>
    public List<long> NodeIds()
    {
        lock (_gate)
        {
            return [.. _nodes.Keys];
        }
    }

    /// <summary>The routes among <paramref name="advertised"/> that the policy's autoApprovers approve for this node without an admin.</summary>
    public List<System.Net.IPNetwork> AutoApproved(NodeRecord node, IReadOnlyList<System.Net.IPNetwork> advertised)
    {
        lock (_gate)
        {
            var policyNode = NetmapBuilder.ToPolicy(node, _users.GetValueOrDefault(node.UserId));
            var approved = new List<System.Net.IPNetwork>();
            foreach (var route in advertised)
            {
                if (_policy.MayAutoApproveRoute(route, policyNode))
                {
                    approved.Add(route);
                }
            }

            return approved;
        }
    }

    /// <summary>The current policy, users and eligible nodes as policy sees them (for previews).</summary>
    public (Weft.Policy.Policy Policy, List<PolicyNode> Nodes) Snapshot()
    {
        lock (_gate)
        {
            var nodes = new List<PolicyNode>(_nodes.Count);
            foreach (var e in _nodes.Values)
            {
                nodes.Add(e.Policy);
            }

            return (_policy, nodes);
        }
    }

    /// <summary>A new relay map: later full maps carry it, and with <paramref name="announce"/> every open session gets it as a delta.</summary>
    public void SetRelayMap(RelayMap relayMap, bool announce)
    {
        lock (_gate)
        {
            _relayMap = relayMap;
            if (!announce)
            {
                return;
            }

            var delta = new MapResponse { RelayMap = relayMap };
            foreach (var session in _sessions.Values)
            {
                SendLocked(session, delta);
            }
        }
    }

    /// <summary>New DNS settings: every open session gets the new DNS configuration.</summary>
    public void SetDns(DnsSettings dns)
    {
        lock (_gate)
        {
            _dns = dns;
            var delta = new MapResponse { Dns = Dns() };
            foreach (var session in _sessions.Values)
            {
                SendLocked(session, delta);
            }
        }
    }

    /// <summary>Caller holds _gate. <paramref name="approved"/> null keeps the node's current routes.</summary>
    private void UpsertLocked(NodeRecord node, IReadOnlyList<System.Net.IPNetwork>? approved)
    {
        if (!Eligible(node, _time.GetUtcNow()))
        {
            RemoveLocked(node.Id);
            return;
        }

        var isNew = !_nodes.TryGetValue(node.Id, out var entry);
        var policyNode = NetmapBuilder.ToPolicy(node, _users.GetValueOrDefault(node.UserId), approved ?? entry?.Policy.ApprovedRoutes);
        var before = isNew ? new NodeSet(_slots) : entry!.Visible.Clone();
        var identityChanged = isNew || !SameIdentity(entry!.Policy, policyNode);
        if (isNew)
        {
            entry = new Entry(node, policyNode, _slots);
            _nodes[node.Id] = entry;
        }

        entry!.Record = node;
        entry.Policy = policyNode;
        ScheduleExpiryLocked(node);
        if (isNew && !_sessions.ContainsKey(node.Id))
        {
            StartEphemeralTimerLocked(node);
        }
        if (identityChanged)
        {
            _policyNodes = null;
            RecomputeVisibilityLocked(entry);
        }

        var changed = new MapResponse { PeersChanged = [Wire(entry)], UserProfiles = ProfileOf(node.UserId) };
        foreach (var id in entry.Visible)
        {
            SendLocked(_sessions.GetValueOrDefault(id), changed);
        }

        var gone = new MapResponse { PeersRemoved = [node.Id] };
        foreach (var id in before)
        {
            if (!entry.Visible.Contains(id))
            {
                SendLocked(_sessions.GetValueOrDefault(id), gone);
            }
        }

        if (_sessions.TryGetValue(node.Id, out var own))
        {
            SendLocked(own, SelfDeltaLocked(entry, before, recompile: identityChanged || entry.Filter is null));
        }
        else if (identityChanged)
        {
            // Compiled again when the node attaches.
            entry.Filter = null;
        }

        if (identityChanged)
        {
            before.UnionWith(entry.Visible);
            _filterChanged.Add(node.Id);
            MarkFiltersLocked(before);
        }
    }

    /// <summary>Endpoints or disco key of a node changed: a small patch to the peers that see it, nothing else.</summary>
    public void Patch(long nodeId, IReadOnlyList<string>? endpoints, string? discoKey)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(nodeId, out var entry))
            {
                return;
            }

            entry.Record = entry.Record with { Endpoints = endpoints ?? entry.Record.Endpoints, DiscoKey = discoKey ?? entry.Record.DiscoKey };
            var patch = new MapResponse { PeersPatched = [new PeerPatch { Id = nodeId, Endpoints = endpoints, DiscoKey = discoKey }] };
            foreach (var id in entry.Visible)
            {
                SendLocked(_sessions.GetValueOrDefault(id), patch);
            }
        }
    }

    /// <summary>A node was deleted (or lost eligibility): peers forget it at once, its own stream ends.</summary>
    public void Remove(long nodeId)
    {
        lock (_gate)
        {
            RemoveLocked(nodeId);
        }
    }

    /// <summary>A new policy: visibility and filters are recomputed for everyone; each session gets only its differences.</summary>
    public void SetPolicy(Weft.Policy.Policy policy)
    {
        lock (_gate)
        {
            _policy = policy;
            var before = new Dictionary<long, NodeSet>(_nodes.Count);
            foreach (var (id, e) in _nodes)
            {
                before[id] = e.Visible.Clone();
                e.Visible.Clear();
                if (!_sessions.ContainsKey(id))
                {
                    // Compiled under the new policy when the node attaches; sessions get theirs below.
                    e.Filter = null;
                }
            }

            ComputeAllVisibilityLocked();
            var idOfSlot = _slots.SnapshotIds();
            foreach (var (id, session) in _sessions)
            {
                var e = _nodes[id];
                var delta = SelfDeltaLocked(e, before[id], recompile: true, includeSelf: false, idOfSlot);
                if (delta.PeersChanged is not null || delta.PeersRemoved is not null || delta.PacketFilter is not null)
                {
                    // One change touching every session: its writer starts at once rather than after the whole pass.
                    session.Enqueue(delta);
                }
            }
        }
    }

    /// <summary>
    /// The tailnet's settings changed (name, domain, key lifetime). A new MagicDNS domain changes every node's
    /// name, so each session gets itself, its peers and its DNS configuration again.
    /// </summary>
    public void SetTailnet(TailnetRecord tailnet)
    {
        lock (_gate)
        {
            var domainChanged = !string.Equals(_tailnet.Domain, tailnet.Domain, StringComparison.Ordinal);
            _tailnet = tailnet;
            foreach (var e in _nodes.Values)
            {
                // Names are qualified with the tailnet's domain.
                e.WireCache = null;
            }

            if (!domainChanged)
            {
                return;
            }

            var dns = Dns();
            foreach (var (id, session) in _sessions)
            {
                if (!_nodes.TryGetValue(id, out var e))
                {
                    continue;
                }

                var peers = new List<Node>(e.Visible.Count);
                foreach (var peer in e.Visible)
                {
                    peers.Add(Wire(_nodes[peer]));
                }

                SendLocked(session, new MapResponse { Self = Wire(e), PeersChanged = peers.Count > 0 ? peers : null, Dns = dns });
            }
        }
    }

    /// <summary>Ids of the peers a node currently sees (tests and diagnostics).</summary>
    public IReadOnlyList<long> VisiblePeers(long nodeId)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(nodeId, out var e) ? [.. e.Visible] : [];
        }
    }

    /// <summary>Stops the expiry and ephemeral timers (server shutdown); sessions end with their connections.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _expiryTimer.Dispose();
            _publishTimer.Dispose();
            _disposed = true;
            foreach (var timer in _ephemeralTimers.Values)
            {
                timer.Dispose();
            }

            _ephemeralTimers.Clear();
        }
    }

    /// <summary>True while the node has an open map session.</summary>
    public bool IsOnline(long nodeId)
    {
        lock (_gate)
        {
            return _sessions.ContainsKey(nodeId);
        }
    }

    /// <summary>Timer callback: nodes whose key expired leave every map now, not at the next change.</summary>
    private void ExpireDue()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            _expiryDue = DateTimeOffset.MaxValue;
            while (_expiries.TryPeek(out var due, out var at) && at <= now)
            {
                _expiries.Dequeue();
                if (_nodes.TryGetValue(due.Id, out var e) && e.Record.KeyExpiry == due.Expiry)
                {
                    RemoveLocked(due.Id);
                }
            }

            if (_expiries.TryPeek(out _, out var next))
            {
                ArmExpiryLocked(next, now);
            }
        }
    }

    /// <summary>Queues the node's key expiry and brings the timer forward if it is the earliest (caller holds _gate).</summary>
    private void ScheduleExpiryLocked(NodeRecord node)
    {
        // A disabled expiry (null) is never queued: such a node never expires.
        if (node.KeyExpiry is not { } expiry)
        {
            return;
        }

        _expiries.Enqueue((node.Id, expiry), expiry);
        if (expiry < _expiryDue)
        {
            ArmExpiryLocked(expiry, _time.GetUtcNow());
        }
    }

    // Caller holds _gate.
    private void ArmExpiryLocked(DateTimeOffset at, DateTimeOffset now)
    {
        _expiryDue = at;
        var delay = at - now;
        // Never zero or negative: the timer must fire on its own thread, not inside the caller's change. Never
        // beyond what a timer accepts (about 49 days; keys live 180): firing early just re-arms.
        delay = delay <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : delay > ControlConstants.MaxTimerDelay ? ControlConstants.MaxTimerDelay : delay;
        _expiryTimer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>An offline ephemeral node starts its countdown to deletion (caller holds _gate).</summary>
    private void StartEphemeralTimerLocked(NodeRecord node)
    {
        if (!node.Ephemeral)
        {
            return;
        }

        StopEphemeralTimerLocked(node.Id);
        var id = node.Id;
        var box = new System.Runtime.CompilerServices.StrongBox<ITimer?>();
        box.Value = _time.CreateTimer(_ => EphemeralTimedOut(id, box.Value), null, _ephemeralTimeout, Timeout.InfiniteTimeSpan);
        _ephemeralTimers[id] = box.Value;
    }

    // Caller holds _gate.
    private void StopEphemeralTimerLocked(long nodeId)
    {
        if (_ephemeralTimers.Remove(nodeId, out var timer))
        {
            timer.Dispose();
        }
    }

    private void EphemeralTimedOut(long nodeId, ITimer? timer)
    {
        lock (_gate)
        {
            // Back online, gone, or a newer countdown replaced this one since the timer was set: nothing to do.
            if (timer is null || !_ephemeralTimers.TryGetValue(nodeId, out var current) || current != timer || _sessions.ContainsKey(nodeId))
            {
                return;
            }

            _ephemeralTimers.Remove(nodeId);
            timer.Dispose();
        }

        _ephemeralOffline(nodeId);
    }

    // Caller holds _gate.
    private void RemoveLocked(long nodeId)
    {
        StopEphemeralTimerLocked(nodeId);
        if (!_nodes.Remove(nodeId, out var entry))
        {
            return;
        }

        var removed = new MapResponse { PeersRemoved = [nodeId] };
        foreach (var id in entry.Visible)
        {
            _nodes[id].Visible.Remove(nodeId);
            SendLocked(_sessions.GetValueOrDefault(id), removed);
        }

        if (_sessions.Remove(nodeId, out var own))
        {
            own.Close();
        }

        _policyNodes = null;
        _filterChanged.Remove(nodeId);
        _filterDirty.Remove(nodeId);
        MarkFiltersLocked(entry.Visible);

        // No set holds the node any more (visibility is symmetric and every peer dropped it above).
        _slots.Release(nodeId);
    }

    /// <summary>
    /// Fills every node's visibility set from scratch (the sets start empty; caller holds _gate). Visibility is
    /// symmetric, so each pair is asked once: half the policy evaluations of asking per node, which at 10,000
    /// nodes is 50 million instead of 100 million.
    /// </summary>
    private void ComputeAllVisibilityLocked()
    {
        var entries = new Entry[_nodes.Count];
        _nodes.Values.CopyTo(entries, 0);
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            for (var j = i + 1; j < entries.Length; j++)
            {
                var o = entries[j];
                if (_policy.CanSee(e.Policy, o.Policy))
                {
                    e.Visible.Add(o.Record.Id);
                    o.Visible.Add(e.Record.Id);
                }
            }
        }
    }

    // Caller holds _gate.
    private void RecomputeVisibilityLocked(Entry entry)
    {
        foreach (var id in entry.Visible)
        {
            _nodes[id].Visible.Remove(entry.Record.Id);
        }

        entry.Visible.Clear();
        foreach (var o in _nodes.Values)
        {
            if (o.Record.Id != entry.Record.Id && _policy.CanSee(entry.Policy, o.Policy))
            {
                entry.Visible.Add(o.Record.Id);
                o.Visible.Add(entry.Record.Id);
            }
        }
    }

    /// <summary>Queues a filter refresh for <paramref name="ids"/>; changes arriving before it runs share it (caller holds _gate).</summary>
    private void MarkFiltersLocked(IEnumerable<long> ids)
    {
        _filterDirty.UnionWith(ids);
        if (_filterDirty.Count > 0)
        {
            SchedulePublishLocked();
        }
    }

    /// <summary>
    /// Queues a delta for a session without waking its writer (caller holds _gate). The writers wake once
    /// per batch, from <see cref="Publish"/>: deltas of a burst of changes merge into one frame per session
    /// instead of one frame per change. A writer that is busy sending picks up what merged meanwhile anyway.
    /// </summary>
    private void SendLocked(MapSession? session, MapResponse delta)
    {
        if (session is null)
        {
            return;
        }

        session.Enqueue(delta, wake: false);
        if (_toWake.Add(session))
        {
            SchedulePublishLocked();
        }
    }

    // Caller holds _gate.
    private void SchedulePublishLocked()
    {
        // After Dispose the timer is gone; nobody reads the sessions then either.
        if (!_publishQueued && !_disposed)
        {
            _publishQueued = true;
            _publishTimer.Change(PublishWindow, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Timer work (tests call it to settle at once), one pass per batch of changes: brings the filters of
    /// every dirty node up to date and sends the ones that changed, then wakes the writers of every session with deltas.
    /// A node whose filter names no other node (every source is <c>*</c> or a prefix, as in the default policy)
    /// is checked against just the nodes that changed since the last pass, not recompiled over the whole
    /// tailnet: a burst of joins costs each peer one small compile.
    /// </summary>
    internal void Publish()
    {
        MapSession[] wake;
        lock (_gate)
        {
            FlushFiltersLocked();

            // Cleared only now: filters sent just above join this wake instead of queueing another pass.
            _publishQueued = false;
            wake = [.. _toWake];
            _toWake.Clear();
        }

        foreach (var session in wake)
        {
            session.Wake();
        }
    }

    // Caller holds _gate.
    private void FlushFiltersLocked()
    {
        List<PolicyNode>? changed = null;
        foreach (var id in _filterChanged)
        {
            if (_nodes.TryGetValue(id, out var c))
            {
                (changed ??= []).Add(c.Policy);
            }
        }

        foreach (var id in _filterDirty)
        {
            if (!_nodes.TryGetValue(id, out var e) || e.Filter is null)
            {
                continue;
            }

            if (!_sessions.TryGetValue(id, out var session))
            {
                // Nobody to tell: compiled again when the node attaches.
                e.Filter = null;
                continue;
            }

            if (!e.FilterFromNodes && !_filterChanged.Contains(id))
            {
                // No current node adds sources to this filter; only a changed one could start to.
                if (changed is null)
                {
                    continue;
                }

                if (SameSourceCounts(_policy.CompileFor(e.Policy, changed), e.Filter))
                {
                    continue;
                }
            }

            if (ComputeFilterLocked(e))
            {
                SendLocked(session, new MapResponse { PacketFilter = e.Filter });
            }
        }

        _filterDirty.Clear();
        _filterChanged.Clear();
    }

    /// <summary>
    /// Compiles the node's filter over every node and notes whether other nodes contributed sources to it;
    /// true when it differs from the one last computed (caller holds _gate).
    /// </summary>
    private bool ComputeFilterLocked(Entry e)
    {
        _fullCompiles++;
        var filter = _policy.CompileFor(e.Policy, PolicyNodesLocked());
        var json = JsonSerializer.Serialize(filter, MapJsonContext.Default.IReadOnlyListFilterRule);
        // The filter compiled over no nodes at all holds only the sources that are * or prefixes: equal
        // means no node's identity shows in this filter now.
        var alone = JsonSerializer.Serialize(_policy.CompileFor(e.Policy, []), MapJsonContext.Default.IReadOnlyListFilterRule);
        e.FilterFromNodes = json != alone;
        var changed = json != e.FilterJson;
        e.Filter = filter;
        e.FilterJson = json;
        return changed;
    }

    /// <summary>
    /// For a filter no node contributes to, compiled again with some nodes: the same rules with the same number
    /// of sources means those nodes added nothing. Compiling only adds sources (and rules whose sources were
    /// empty) and never changes destinations, so counts suffice and nothing needs serialising.
    /// </summary>
    private static bool SameSourceCounts(IReadOnlyList<FilterRule> probe, IReadOnlyList<FilterRule> current)
    {
        if (probe.Count != current.Count)
        {
            return false;
        }

        for (var i = 0; i < probe.Count; i++)
        {
            if (probe[i].Sources.Count != current[i].Sources.Count)
            {
                return false;
            }
        }

        return true;
    }

    // Caller holds _gate.
    private List<PolicyNode> PolicyNodesLocked()
    {
        if (_policyNodes is null)
        {
            _policyNodes = new List<PolicyNode>(_nodes.Count);
            foreach (var n in _nodes.Values)
            {
                _policyNodes.Add(n.Policy);
            }
        }

        return _policyNodes;
    }

    /// <summary>The delta for a node's own session after its visibility may have changed (caller holds _gate).</summary>
    /// <param name="idOfSlot">Given (a policy edit, where every session gets one at once), the removals are a compact <see cref="NodeIdList"/>.</param>
    private MapResponse SelfDeltaLocked(Entry e, NodeSet before, bool recompile, bool includeSelf = true, long[]? idOfSlot = null)
    {
        // Sized exactly: after a policy edit every session holds these lists until its writer takes them.
        var addedCount = e.Visible.CountExcept(before);
        var removedCount = before.CountExcept(e.Visible);
        List<Node>? added = addedCount > 0 ? new(addedCount) : null;
        List<long>? removed = removedCount > 0 && idOfSlot is null ? new(removedCount) : null;
        if (added is not null)
        {
            foreach (var id in e.Visible)
            {
                if (!before.Contains(id))
                {
                    added.Add(Wire(_nodes[id]));
                }
            }
        }

        if (removed is not null)
        {
            foreach (var id in before)
            {
                if (!e.Visible.Contains(id))
                {
                    removed.Add(id);
                }
            }
        }

        var filterChanged = recompile && ComputeFilterLocked(e);
        if (recompile)
        {
            // Its own change is compiled now; a queued flush has nothing left to do for it.
            _filterDirty.Remove(e.Record.Id);
        }

        return new MapResponse
        {
            Self = includeSelf ? Wire(e) : null,
            PeersChanged = added,
            PeersRemoved = removedCount > 0 && idOfSlot is not null ? before.Except(e.Visible, idOfSlot) : removed,
            PacketFilter = filterChanged ? e.Filter : null,
        };
    }

    // Caller holds _gate.
    private Node Wire(Entry e)
    {
        var online = _sessions.ContainsKey(e.Record.Id);
        if (e.WireCache is { } cached && cached.Online == online)
        {
            return cached;
        }

        var wire = NetmapBuilder.ToWire(e.Record, _tailnet.Domain, online, e.Policy.ApprovedRoutes);
        e.WireCache = wire;
        return wire;
    }

    private DnsConfig Dns() => new()
    {
        MagicDns = _dns.MagicDns,
        Domain = _tailnet.Domain,
        Nameservers = _dns.Nameservers,
        SearchDomains = _dns.SearchPaths,
        SplitDns = _dns.SplitDns,
    };

    private List<UserProfile> Profiles()
    {
        var list = new List<UserProfile>(_users.Count);
        foreach (var u in _users.Values)
        {
            list.Add(new UserProfile(u.Id, u.Login, u.DisplayName));
        }

        return list;
    }

    private List<UserProfile>? ProfileOf(long userId) =>
        _users.TryGetValue(userId, out var u) ? [new UserProfile(u.Id, u.Login, u.DisplayName)] : null;

    private static bool SameIdentity(PolicyNode a, PolicyNode b) =>
        a.UserLogin == b.UserLogin && a.UserRole == b.UserRole && a.Tags.SequenceEqual(b.Tags) && a.IPv4.Equals(b.IPv4) && a.IPv6.Equals(b.IPv6)
        && a.ApprovedRoutes.SequenceEqual(b.ApprovedRoutes);

    /// <summary>One eligible node with the ids of the nodes it sees (symmetric: a in b.Visible iff b in a.Visible).</summary>
    private sealed class Entry(NodeRecord record, PolicyNode policy, NodeSlots slots)
    {
        public NodeRecord Record
        {
            get;
            set
            {
                field = value;
                WireCache = null;
            }
        } = record;

        public PolicyNode Policy
        {
            get;
            set
            {
                field = value;
                WireCache = null;
            }
        } = policy;

        public NodeSet Visible { get; } = new(slots);

        /// <summary>
        /// The node's wire description as last built; every full map shares it (building one parses the host
        /// info, and N joins would build N^2). Cleared when the record or policy identity changes.
        /// </summary>
        public Node? WireCache { get; set; }

        /// <summary>The node's compiled filter (what its session has); null until compiled or after it went stale without a session.</summary>
        public IReadOnlyList<FilterRule>? Filter { get; set; }

        /// <summary><see cref="Filter"/> as JSON, for telling whether a recompile changed anything.</summary>
        public string? FilterJson { get; set; }

        /// <summary>True when other nodes' addresses appear among the filter's sources, so any node change may alter it.</summary>
        public bool FilterFromNodes { get; set; }
    }
}

/// <summary>Source-generated JSON for comparing filters.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<FilterRule>))]
internal sealed partial class MapJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
