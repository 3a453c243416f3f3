namespace Weft.Node.Filter;

/// <summary>What the tailnet filter let in, kept out and tracks. Counters only grow, except <see cref="TrackedFlows"/>.</summary>
public sealed class FilterCounters
{
    private readonly TailnetFilter _filter;

    internal long _acceptedByRule;
    internal long _acceptedByFlow;
    internal long _droppedByRule;
    internal long _droppedNotLocal;
    internal long _droppedFragment;
    internal long _malformed;

    internal FilterCounters(TailnetFilter filter) => _filter = filter;

    /// <summary>Inbound packets accepted, by a rule or as part of a tracked flow.</summary>
    public long Accepted => AcceptedByRule + AcceptedByFlow;

    /// <summary>Inbound packets a netmap rule accepted.</summary>
    public long AcceptedByRule => Interlocked.Read(ref _acceptedByRule);

    /// <summary>Inbound packets accepted because they belong to a flow this node opened (replies, their ICMP errors, later fragments).</summary>
    public long AcceptedByFlow => Interlocked.Read(ref _acceptedByFlow);

    /// <summary>Inbound packets for this node that no rule accepts and no tracked flow explains.</summary>
    public long DroppedByRule => Interlocked.Read(ref _droppedByRule);

    /// <summary>Inbound packets for an address that is neither this node's nor covered by a rule's destination.</summary>
    public long DroppedNotLocal => Interlocked.Read(ref _droppedNotLocal);

    /// <summary>Inbound later fragments whose first fragment was not accepted (or arrived after them).</summary>
    public long DroppedFragment => Interlocked.Read(ref _droppedFragment);

    /// <summary>Inbound packets with truncated or inconsistent headers, dropped.</summary>
    public long DroppedMalformed => Interlocked.Read(ref _malformed);

    /// <summary>All inbound packets dropped, for any reason.</summary>
    public long Dropped => DroppedByRule + DroppedNotLocal + DroppedFragment + DroppedMalformed;

    /// <summary>Flows (and fragmented datagrams) tracked now; counts the table, so meant for status, not per packet.</summary>
    public int TrackedFlows => _filter.CountTrackedFlows();

    /// <summary>Flows and fragmented datagrams started being tracked since the filter was made.</summary>
    public long FlowsCreated => _filter.Flows.Created;

    /// <summary>Tracked flows pushed out early because the table was full around them.</summary>
    public long FlowsEvicted => _filter.Flows.Evicted;

    /// <summary>Rules from the last netmap that could not be compiled and were left out (fail closed).</summary>
    public int InvalidRules => _filter.InvalidRuleCount;

    public override string ToString() =>
        $"accepted-rule={AcceptedByRule} accepted-flow={AcceptedByFlow} dropped-rule={DroppedByRule} " +
        $"dropped-not-local={DroppedNotLocal} dropped-fragment={DroppedFragment} malformed={DroppedMalformed} " +
        $"flows={TrackedFlows} flows-created={FlowsCreated} flows-evicted={FlowsEvicted} invalid-rules={InvalidRules}";
}
