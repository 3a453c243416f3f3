namespace Weft.Node.ControlLoop;

/// <summary>
/// Exponential backoff with full jitter for reconnecting to the coordination server: the n-th failure in a
/// row waits a random time in [ceiling/2, ceiling] where the ceiling doubles from <see cref="Initial"/> up to
/// <see cref="Maximum"/>. Jitter keeps a thousand nodes from reconnecting in lockstep after a server restart.
/// </summary>
public sealed class Backoff
{
    private readonly Random _random;
    private int _failures;

    /// <summary>A backoff drawing jitter from <paramref name="random"/> (seeded in tests).</summary>
    public Backoff(TimeSpan initial, TimeSpan maximum, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, initial);
        Initial = initial;
        Maximum = maximum;
        _random = random ?? Random.Shared;
    }

    /// <summary>The ceiling of the first wait.</summary>
    public TimeSpan Initial { get; }

    /// <summary>The ceiling no wait exceeds.</summary>
    public TimeSpan Maximum { get; }

    /// <summary>Failures since the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    /// <summary>Records a failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        var ceiling = Ceiling(_failures);
        _failures = Math.Min(_failures + 1, 62);
        // Half fixed, half random: never zero (no hot loop), never above the ceiling.
        var half = ceiling / 2;
        return half + (half * _random.NextDouble());
    }

    /// <summary>After a success: the next failure starts again from <see cref="Initial"/>.</summary>
    public void Reset() => _failures = 0;

    /// <summary>Waits the next backoff on <paramref name="time"/>'s clock.</summary>
    public Task DelayAsync(TimeProvider time, CancellationToken ct) => Task.Delay(Next(), time, ct);

    private TimeSpan Ceiling(int failures)
    {
        var ticks = Initial.Ticks;
        for (var i = 0; i < failures && ticks < Maximum.Ticks; i++)
        {
            ticks *= 2;
        }
        return TimeSpan.FromTicks(Math.Min(ticks, Maximum.Ticks));
    }
}
