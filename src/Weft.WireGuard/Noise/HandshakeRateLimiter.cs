using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Noise;

/// <summary>
/// A token bucket per source address for handshake messages while the device is under load: each
/// address may have <see cref="Constants.HandshakesPerSecondPerSource"/> per second processed, with a
/// burst of <see cref="Constants.HandshakeBurstPerSource"/>. Memory is bounded: idle entries are
/// swept as time passes and at most <see cref="Constants.RateLimiterMaxSources"/> are kept. Thread-safe.
/// </summary>
public sealed class HandshakeRateLimiter
{
    private readonly TimeProvider _time;
    private readonly long _tokenCost;
    private readonly long _maxTokens;
    private readonly long _entryLifetime;

    // _gate guards the fields below.
    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, Bucket> _buckets = [];
    private long _lastSweep;

    public HandshakeRateLimiter(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        // Tokens are measured in timestamp ticks: one message costs a 20th of a second's worth.
        _tokenCost = time.TimestampFrequency / Constants.HandshakesPerSecondPerSource;
        _maxTokens = _tokenCost * Constants.HandshakeBurstPerSource;
        _entryLifetime = (long)(Constants.RateLimiterEntryLifetime.TotalSeconds * time.TimestampFrequency);
        _lastSweep = time.GetTimestamp();
    }

    /// <summary>Sources currently tracked.</summary>
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

    /// <summary>True when a handshake message from this address (the port is ignored) may be processed now.</summary>
    public bool Allow(UdpEndpoint source)
    {
        Span<byte> address = stackalloc byte[16];
        source.WriteAddress(address);
        var key = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(address);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (now - _lastSweep >= _entryLifetime)
            {
                SweepLocked(now);
            }
            if (_buckets.TryGetValue(key, out var bucket))
            {
                var tokens = Math.Min(bucket.Tokens + (now - bucket.LastSeen), _maxTokens);
                var allowed = tokens >= _tokenCost;
                _buckets[key] = new Bucket(allowed ? tokens - _tokenCost : tokens, now);
                return allowed;
            }
            if (_buckets.Count >= Constants.RateLimiterMaxSources)
            {
                // Full of sources active within the last second: refuse newcomers rather than grow.
                return false;
            }
            _buckets[key] = new Bucket(_maxTokens - _tokenCost, now);
            return true;
        }
    }

    // Caller holds _gate. An idle entry's bucket would be full again, so forgetting it changes nothing.
    private void SweepLocked(long now)
    {
        foreach (var (key, bucket) in _buckets)
        {
            if (now - bucket.LastSeen >= _entryLifetime)
            {
                _buckets.Remove(key);
            }
        }
        _lastSweep = now;
    }

    private readonly record struct Bucket(long Tokens, long LastSeen);
}
