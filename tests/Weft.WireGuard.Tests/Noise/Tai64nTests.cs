using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class Tai64nTests
{
    [Fact]
    public void FromDateTime_UnixEpoch_IsTai64LabelPlusTenSeconds()
    {
        Span<byte> bytes = stackalloc byte[Tai64n.Size];
        Tai64n.FromDateTime(DateTimeOffset.UnixEpoch).WriteTo(bytes);
        Assert.Equal("400000000000000a00000000", Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void FromDateTime_Nanoseconds_AreWhitenedTo2Pow24()
    {
        var t = DateTimeOffset.UnixEpoch.AddTicks(1234567); // 123456700 ns
        var stamp = Tai64n.FromDateTime(t);
        Assert.Equal(123456700u & ~0xFFFFFFu, stamp.Nanoseconds);
        Assert.Equal(0u, stamp.Nanoseconds & 0xFFFFFFu);
        // Two instants within one whitening step are indistinguishable, so the second is no newer.
        Assert.False(Tai64n.FromDateTime(t.AddMilliseconds(1)).After(stamp));
        Assert.True(Tai64n.FromDateTime(t.AddMilliseconds(20)).After(stamp));
    }

    [Fact]
    public void ReadWrite_RoundTrips_AndComparesBySecondsThenNanoseconds()
    {
        var earlier = Tai64n.FromDateTime(new DateTimeOffset(2030, 5, 6, 7, 8, 9, 900, TimeSpan.Zero));
        var later = Tai64n.FromDateTime(new DateTimeOffset(2030, 5, 6, 7, 8, 10, 0, TimeSpan.Zero));
        Span<byte> bytes = stackalloc byte[Tai64n.Size];
        later.WriteTo(bytes);
        Assert.Equal(later, Tai64n.Read(bytes));
        Assert.True(later.After(earlier));
        Assert.False(earlier.After(later));
        Assert.False(later.After(later));
        Assert.True(default(Tai64n) < earlier);
    }
}
