using System.Net;

namespace Weft.Control.Protocol;

/// <summary>
/// A token bucket per source address for registration attempts: <c>burst</c> at once, then
/// <c>perMinute</c> refilled evenly. Stops auth-key guessing and registration floods from one source
/// without slowing a normal fleet. Memory is bounded: past a limit, buckets that are full again are dropped.
/// </summary>
internal sealed class RegistrationRateLimiter(int burst, int perMinute, TimeProvider time)
{
    private readonly double _perTick = perMinute / (double)TimeSpan.FromMinutes(1).Ticks;

    /// <summary>_gate guards _buckets.</summary>
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, Bucket> _buckets = [];

    /// <summary>Takes one attempt for <paramref name="source"/>; false when its bucket is empty (answer "too many").</summary>
    public bool TryAcquire(IPAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        // IPv4 seen as IPv4-mapped IPv6 is the same source.
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (!_buckets.TryGetValue(source, out var bucket))
            {
                if (_buckets.Count >= ControlConstants.MaxRateLimitSources)
                {
                    DropFullLocked(now);
                }

                bucket = new Bucket { Tokens = burst, Stamp = now };
                _buckets[source] = bucket;
            }

            Refill(bucket, now);
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    /// <summary>Sources tracked now (tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _buckets.Count;
            }
        }
    }

    private void Refill(Bucket bucket, long now)
    {
        var elapsed = time.GetElapsedTime(bucket.Stamp, now).Ticks;
        bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * _perTick));
        bucket.Stamp = now;
    }

    // Caller holds _gate.
    private void DropFullLocked(long now)
    {
        var full = new List<IPAddress>();
        foreach (var (address, bucket) in _buckets)
        {
            Refill(bucket, now);
            if (bucket.Tokens >= burst)
            {
                full.Add(address);
            }
        }

        foreach (var address in full)
        {
            _buckets.Remove(address);
        }
    }

    /// <summary>Tokens left and when they were counted (a timestamp of the TimeProvider).</summary>
    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Stamp { get; set; }
    }
}
