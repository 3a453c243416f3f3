using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Weft.WireGuard.Noise;

/// <summary>
/// Maps our 32-bit receiver indexes to their owners (a handshake in flight or a session).
/// Indexes are random so they reveal nothing about how many sessions exist and cannot be guessed
/// to aim forged messages. Thread-safe; <see cref="Lookup"/> takes no lock (it runs per packet).
/// </summary>
public sealed class IndexTable<T>
    where T : class
{
    private readonly ConcurrentDictionary<uint, T> _owners = new();

    /// <summary>Indexes currently in use.</summary>
    public int Count => _owners.Count;

    /// <summary>A fresh random index not in use, now owned by <paramref name="owner"/>.</summary>
    public uint NewIndex(T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        Span<byte> random = stackalloc byte[sizeof(uint)];
        while (true)
        {
            RandomNumberGenerator.Fill(random);
            var index = BitConverter.ToUInt32(random);
            // 0 is left unused so it can mean "no index" in handshakes and logs.
            if (index != 0 && _owners.TryAdd(index, owner))
            {
                return index;
            }
        }
    }

    /// <summary>The owner of an index, or null.</summary>
    public T? Lookup(uint index) => _owners.TryGetValue(index, out var owner) ? owner : null;

    /// <summary>Gives an index already in use to a new owner (a handshake's index to its session); false if the index is unknown.</summary>
    public bool TryReplace(uint index, T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        while (_owners.TryGetValue(index, out var current))
        {
            if (_owners.TryUpdate(index, owner, current))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Frees an index (no-op if unknown).</summary>
    public void Remove(uint index) => _owners.TryRemove(index, out _);
}
