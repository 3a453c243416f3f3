using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class HandshakeRateLimiterTests
{
    private static readonly UdpEndpoint A = UdpEndpoint.From(IPEndPoint.Parse("192.0.2.1:1000"));
    private static readonly UdpEndpoint APort2 = UdpEndpoint.From(IPEndPoint.Parse("192.0.2.1:2000"));
    private static readonly UdpEndpoint B = UdpEndpoint.From(IPEndPoint.Parse("[2001:db8::2]:1000"));

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Allow_Burst_ThenRefusedUntilTokensRefill()
    {
        var limiter = new HandshakeRateLimiter(_time);
        for (var i = 0; i < Constants.HandshakeBurstPerSource; i++)
        {
            Assert.True(limiter.Allow(A), $"message {i} of the burst was refused");
        }
        Assert.False(limiter.Allow(A));
        _time.Advance(TimeSpan.FromSeconds(1.0 / Constants.HandshakesPerSecondPerSource));
        Assert.True(limiter.Allow(A));
        Assert.False(limiter.Allow(A));
    }

    [Fact]
    public void Allow_SustainedRate_IsTwentyPerSecond()
    {
        var limiter = new HandshakeRateLimiter(_time);
        var allowed = 0;
        // One attempt per millisecond for ten seconds: the burst plus twenty per second.
        for (var ms = 0; ms < 10_000; ms++)
        {
            if (limiter.Allow(A))
            {
                allowed++;
            }
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.InRange(allowed, 10 * Constants.HandshakesPerSecondPerSource, 10 * Constants.HandshakesPerSecondPerSource + Constants.HandshakeBurstPerSource);
    }

    [Fact]
    public void Allow_SameAddressOtherPort_SharesBucket_OtherAddressDoesNot()
    {
        var limiter = new HandshakeRateLimiter(_time);
        for (var i = 0; i < Constants.HandshakeBurstPerSource; i++)
        {
            Assert.True(limiter.Allow(i % 2 == 0 ? A : APort2));
        }
        Assert.False(limiter.Allow(APort2));
        Assert.True(limiter.Allow(B));
    }

    [Fact]
    public void Allow_IdleEntries_AreEvicted()
    {
        var limiter = new HandshakeRateLimiter(_time);
        Span<byte> address = stackalloc byte[4];
        for (var i = 0; i < 1000; i++)
        {
            address[0] = 10;
            address[2] = (byte)(i >> 8);
            address[3] = (byte)i;
            limiter.Allow(UdpEndpoint.FromIPv4(address, 1));
        }
        Assert.Equal(1000, limiter.Count);
        _time.Advance(Constants.RateLimiterEntryLifetime);
        limiter.Allow(A);
        Assert.Equal(1, limiter.Count);
    }

    [Fact]
    public void Allow_TableFull_RefusesNewSourcesButServesKnownOnes()
    {
        var limiter = new HandshakeRateLimiter(_time);
        Span<byte> address = stackalloc byte[4];
        for (var i = 0; i < Constants.RateLimiterMaxSources; i++)
        {
            address[0] = 10;
            address[1] = (byte)(i >> 16);
            address[2] = (byte)(i >> 8);
            address[3] = (byte)i;
            Assert.True(limiter.Allow(UdpEndpoint.FromIPv4(address, 1)));
        }
        Assert.False(limiter.Allow(B));
        address[1] = address[2] = address[3] = 0;
        Assert.True(limiter.Allow(UdpEndpoint.FromIPv4(address, 1)));
        Assert.Equal(Constants.RateLimiterMaxSources, limiter.Count);
    }
}
