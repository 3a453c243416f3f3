using System.Buffers.Binary;

namespace Weft.Node.Dns;

/// <summary>
/// Upstream replies kept for their TTL (at most <see cref="DnsRecords.MaxCacheTtl"/>), so a name asked again
/// is answered from memory on the receive loop without a socket or an allocation. Keyed by question name
/// (letter case aside), type, class and the EDNS0/DO/CD bits that change what an upstream returns. Emptied
/// whenever the table changes, since a new table may route names to other upstreams.
/// </summary>
internal sealed class DnsCache
{
    /// <summary>Chars of a key beyond the name: separator, type, class, flags.</summary>
    public const int KeySuffixLength = 4;

    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    // _gate guards the dictionary and its lookup view.
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public DnsCache(TimeProvider time, int capacity)
    {
        _time = time;
        _capacity = capacity;
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Writes the cache key of a query whose canonical name is <paramref name="name"/>; returns its length.</summary>
    public static int Key(ReadOnlySpan<char> name, DnsQuery query, Span<char> destination)
    {
        name.CopyTo(destination);
        destination[name.Length] = '\0';
        destination[name.Length + 1] = (char)query.QuestionType;
        destination[name.Length + 2] = (char)query.QuestionClass;
        destination[name.Length + 3] = (char)((query.HasEdns ? 1 : 0) | (query.DnssecOk ? 2 : 0) | ((query.Flags & DnsConstants.FlagCd) != 0 ? 4 : 0));
        return name.Length + KeySuffixLength;
    }

    /// <summary>
    /// Writes the cached reply for <paramref name="query"/> into <paramref name="reply"/> under the client's
    /// id and letter case, its TTLs aged by the time it spent here. Returns 0 on a miss, an expired entry, or
    /// a reply bigger than <paramref name="limit"/> (the forwarder then handles it, with TC as needed).
    /// </summary>
    public int TryAnswer(ReadOnlySpan<char> key, DnsQuery query, Span<byte> reply, int limit)
    {
        Entry? entry;
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!_lookup.TryGetValue(key, out entry))
            {
                return 0;
            }
            if (now >= entry.ExpiresAt)
            {
                _lookup.Remove(key);
                return 0;
            }
        }
        var response = entry.Response;
        var question = query.Question;
        if (response.Length > limit || response.Length > reply.Length
            || response.Length < DnsConstants.HeaderLength + question.Length
            || !System.Text.Ascii.EqualsIgnoreCase(response.AsSpan(DnsConstants.HeaderLength, question.Length), question))
        {
            // Too big for this client, or (never from the forwarder, which checks) not a reply to this question.
            return 0;
        }
        response.CopyTo(reply);
        BinaryPrimitives.WriteUInt16BigEndian(reply, query.Id);
        // The question as this client wrote it: resolvers that randomise letter case check the echo.
        question.CopyTo(reply[DnsConstants.HeaderLength..]);
        var age = (uint)(_time.GetElapsedTime(entry.StoredAt, now).Ticks / TimeSpan.TicksPerSecond);
        if (age > 0)
        {
            DnsRecords.Age(reply[..response.Length], age);
        }
        return response.Length;
    }

    /// <summary>Keeps an upstream reply when it is a cacheable, complete NOERROR or NXDOMAIN with a TTL.</summary>
    public void Store(ReadOnlySpan<char> key, ReadOnlySpan<byte> response)
    {
        if (response.Length < DnsConstants.HeaderLength)
        {
            return;
        }
        var flags = BinaryPrimitives.ReadUInt16BigEndian(response[2..]);
        var rcode = flags & 0xF;
        if ((flags & DnsConstants.FlagTc) != 0 || rcode is not (DnsConstants.RcodeNoError or DnsConstants.RcodeNxDomain))
        {
            return;
        }
        if (DnsRecords.MinimumTtl(response) is not { } ttl || ttl == 0)
        {
            return; // no records to take a lifetime from, or the upstream asked us not to keep it
        }
        var now = _time.GetTimestamp();
        var lifetime = TimeSpan.FromSeconds(Math.Min(ttl, DnsRecords.MaxCacheTtl));
        var entry = new Entry(response.ToArray(), now, now + (long)(lifetime.TotalSeconds * _time.TimestampFrequency));
        lock (_gate)
        {
            if (_entries.Count >= _capacity && !_lookup.ContainsKey(key))
            {
                Sweep(now);
            }
            _lookup[key] = entry;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    /// <summary>Drops expired entries; when that frees nothing, drops all (bounded memory beats a perfect hit rate). Caller holds _gate.</summary>
    private void Sweep(long now)
    {
        List<string>? expired = null;
        foreach (var (key, entry) in _entries)
        {
            if (now >= entry.ExpiresAt)
            {
                (expired ??= []).Add(key);
            }
        }
        if (expired is null)
        {
            _entries.Clear();
            return;
        }
        foreach (var key in expired)
        {
            _entries.Remove(key);
        }
    }

    private sealed record Entry(byte[] Response, long StoredAt, long ExpiresAt);
}
