namespace Weft.Relay.Server;

/// <summary>
/// A token bucket over <see cref="TimeProvider"/> timestamps: <see cref="Rate"/> tokens a second, at most
/// <see cref="Burst"/> saved up. Not thread-safe; each connection's reader owns its own.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public TokenBucket(double rate, double burst, TimeProvider time)
    {
        Rate = rate;
        Burst = burst;
        _time = time;
        _tokens = burst;
        _last = time.GetTimestamp();
    }

    /// <summary>Tokens added per second.</summary>
    public double Rate { get; }

    /// <summary>Most tokens the bucket holds.</summary>
    public double Burst { get; }

    /// <summary>Takes <paramref name="cost"/> tokens; when there are too few, takes nothing and says how long until there are enough.</summary>
    public bool TryTake(double cost, out TimeSpan wait)
    {
        Refill();
        if (_tokens >= cost)
        {
            _tokens -= cost;
            wait = TimeSpan.Zero;
            return true;
        }

        // A cost above the burst could never be paid: wait for a full bucket and let it go into debt once.
        var needed = Math.Min(cost, Burst) - _tokens;
        wait = TimeSpan.FromSeconds(Math.Max(needed, 0) / Rate);
        return false;
    }

    /// <summary>Takes <paramref name="cost"/> tokens, going into debt when there are too few; see <see cref="Debt"/>.</summary>
    public void Take(double cost)
    {
        Refill();
        _tokens -= cost;
    }

    /// <summary>How long until the bucket is out of debt (zero when it is not): the time a reader should pause.</summary>
    public TimeSpan Debt()
    {
        Refill();
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / Rate);
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var seconds = _time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(Burst, _tokens + (seconds * Rate));
    }
}
