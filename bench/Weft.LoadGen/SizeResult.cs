namespace Weft.LoadGen;

/// <summary>What one tailnet size measured; null fields were not reached (see <see cref="Notes"/>).</summary>
internal sealed class SizeResult(int nodes)
{
    public int Nodes { get; } = nodes;

    /// <summary>Nodes that registered and got their first map.</summary>
    public int Joined { get; set; }

    /// <summary>From the first connect to the last node's first map.</summary>
    public TimeSpan? JoinTime { get; set; }

    /// <summary>Wire bytes of the last node's full map (the largest).</summary>
    public long LastFirstMapBytes { get; set; }

    public Latency? Endpoint { get; set; }

    public Latency? Policy { get; set; }

    /// <summary>Server readings after every node joined and at the end.</summary>
    public ServerStats? AfterJoin { get; set; }

    public ServerStats? AtEnd { get; set; }

    /// <summary>Server CPU seconds spent in the join phase, the endpoint changes (all of them) and the policy edit.</summary>
    public double? JoinCpu { get; set; }

    public double? EndpointCpu { get; set; }

    public double? PolicyCpu { get; set; }

    /// <summary>Generator's own peak RSS (KiB) at the end of the size.</summary>
    public long GeneratorPeakRssKiB { get; set; }

    /// <summary>What went wrong or is worth knowing ("12 nodes failed: ...").</summary>
    public List<string> Notes { get; } = [];
}

/// <summary>Delivery of a change to the affected nodes: percentiles over every (change, node) receipt.</summary>
internal sealed record Latency(double P50Ms, double P99Ms, double MaxMs, int Received, int Expected, long BytesPerChange)
{
    /// <summary>Nearest-rank percentiles of <paramref name="samples"/> (sorted in place).</summary>
    public static Latency From(List<double> samples, int expected, long bytesPerChange)
    {
        samples.Sort();
        return new Latency(Rank(samples, 0.50), Rank(samples, 0.99), samples.Count == 0 ? double.NaN : samples[^1], samples.Count, expected, bytesPerChange);
    }

    private static double Rank(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
