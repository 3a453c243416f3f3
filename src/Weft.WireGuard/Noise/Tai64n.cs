using System.Buffers.Binary;

namespace Weft.WireGuard.Noise;

/// <summary>
/// A TAI64N timestamp as WireGuard's initiation carries it: 8 bytes big-endian seconds offset by
/// 2^62 (plus the reference's 10-second TAI offset) and 4 bytes big-endian nanoseconds. Responders
/// accept an initiation only if its timestamp is after the last accepted one (replay defence).
/// </summary>
public readonly struct Tai64n : IComparable<Tai64n>, IEquatable<Tai64n>
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 12;

    // 2^62 marks a TAI64 label; the reference implementations add 10 more seconds (TAI minus UTC in 1972).
    private const ulong SecondsBase = 0x400000000000000a;

    // The reference rounds nanoseconds down to 2^24 ns (~16.8 ms, under the 20-per-second initiation
    // rate) so the timestamp does not reveal the sender's fine-grained clock to an observer.
    private const uint WhitenerMask = (1u << 24) - 1;

    private Tai64n(ulong seconds, uint nanoseconds)
    {
        Seconds = seconds;
        Nanoseconds = nanoseconds;
    }

    /// <summary>The TAI64 label (seconds plus the base).</summary>
    public ulong Seconds { get; }

    /// <summary>Nanoseconds within the second, already whitened when made by <see cref="FromDateTime"/>.</summary>
    public uint Nanoseconds { get; }

    /// <summary>The whitened timestamp of a wall-clock instant.</summary>
    public static Tai64n FromDateTime(DateTimeOffset t)
    {
        var sinceEpoch = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(sinceEpoch, TimeSpan.TicksPerSecond, out var ticks);
        if (ticks < 0)
        {
            seconds--;
            ticks += TimeSpan.TicksPerSecond;
        }
        var nanoseconds = (uint)(ticks * TimeSpan.NanosecondsPerTick) & ~WhitenerMask;
        return new Tai64n(SecondsBase + (ulong)seconds, nanoseconds);
    }

    /// <summary>Reads 12 wire bytes.</summary>
    public static Tai64n Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[8..Size]));

    /// <summary>Writes 12 wire bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Seconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..Size], Nanoseconds);
    }

    /// <summary>True when this timestamp is strictly later than <paramref name="other"/>.</summary>
    public bool After(Tai64n other) => CompareTo(other) > 0;

    public int CompareTo(Tai64n other)
    {
        var bySeconds = Seconds.CompareTo(other.Seconds);
        return bySeconds != 0 ? bySeconds : Nanoseconds.CompareTo(other.Nanoseconds);
    }

    public bool Equals(Tai64n other) => Seconds == other.Seconds && Nanoseconds == other.Nanoseconds;

    public override bool Equals(object? obj) => obj is Tai64n other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Seconds, Nanoseconds);

    public override string ToString() => $"@{Seconds:x16}{Nanoseconds:x8}";

    public static bool operator ==(Tai64n left, Tai64n right) => left.Equals(right);

    public static bool operator !=(Tai64n left, Tai64n right) => !left.Equals(right);

    public static bool operator <(Tai64n left, Tai64n right) => left.CompareTo(right) < 0;

    public static bool operator >(Tai64n left, Tai64n right) => left.CompareTo(right) > 0;

    public static bool operator <=(Tai64n left, Tai64n right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Tai64n left, Tai64n right) => left.CompareTo(right) >= 0;
}
