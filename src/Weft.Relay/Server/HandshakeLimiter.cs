using System.Net;

namespace Weft.Relay.Server;

/// <summary>
/// Limits handshakes per source address: each costs the relay two X25519 operations, so one flooding
/// address must not starve everyone else's connects. Thread-safe.
/// </summary>
internal sealed class HandshakeLimiter(double rate, double burst, TimeProvider time)
{
    // Our choice: beyond this many tracked sources the table is cleared; a flood of spoofed-looking
    // sources then costs memory no larger than this, and honest sources simply start with a full bucket.
    private const int MaxSources = 65536;

    /// <summary>_gate guards _buckets.</summary>
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, TokenBucket> _buckets = [];

    /// <summary>True when <paramref name="source"/> may start a handshake now.</summary>
    public bool TryAcquire(IPAddress source)
    {
        lock (_gate)
        {
            if (!_buckets.TryGetValue(source, out var bucket))
            {
                if (_buckets.Count >= MaxSources)
                {
                    _buckets.Clear();
                }

                bucket = new TokenBucket(rate, burst, time);
                _buckets[source] = bucket;
            }

            return bucket.TryTake(1, out _);
        }
    }
}
