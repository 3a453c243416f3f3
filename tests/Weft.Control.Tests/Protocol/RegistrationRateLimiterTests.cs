using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Control.Protocol;
using Weft.Control.Tests.Server;

namespace Weft.Control.Tests.Protocol;

/// <summary>The per-source token bucket in front of registration.</summary>
public sealed class RegistrationRateLimiterTests
{
    private static readonly IPAddress Source = IPAddress.Parse("192.0.2.1");

    [Fact]
    public void TryAcquire_BurstUsedUp_RefusesUntilTokensRefill()
    {
        var time = new FakeTimeProvider();
        var limiter = new RegistrationRateLimiter(burst: 3, perMinute: 60, time);
        Assert.True(limiter.TryAcquire(Source));
        Assert.True(limiter.TryAcquire(Source));
        Assert.True(limiter.TryAcquire(Source));
        Assert.False(limiter.TryAcquire(Source));

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(limiter.TryAcquire(Source));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire(Source));
        Assert.False(limiter.TryAcquire(Source));
    }

    [Fact]
    public void TryAcquire_LongIdle_RefillsOnlyUpToTheBurst()
    {
        var time = new FakeTimeProvider();
        var limiter = new RegistrationRateLimiter(burst: 2, perMinute: 60, time);
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(limiter.TryAcquire(Source));
        Assert.True(limiter.TryAcquire(Source));
        Assert.False(limiter.TryAcquire(Source));
    }

    [Fact]
    public void TryAcquire_OtherSource_HasItsOwnBucket_AndMappedIPv4IsTheSameSource()
    {
        var limiter = new RegistrationRateLimiter(burst: 1, perMinute: 1, new FakeTimeProvider());
        Assert.True(limiter.TryAcquire(Source));
        Assert.False(limiter.TryAcquire(Source.MapToIPv6()));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("192.0.2.2")));
    }

    [Fact]
    public async Task Register_OverTheLimit_IsAProtocolErrorAndCreatesNoNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct, o => (o.RegisterBurst, o.RegisterPerMinute) = (2, 1));
        var key = await server.AuthKeyAsync(ct);
        await using var a = await TestNode.ConnectAsync(server, ct);
        Assert.True((await a.RegisterAsync(key, "a", ct)).Authorized);
        await using var b = await TestNode.ConnectAsync(server, ct);
        Assert.True((await b.RegisterAsync(key, "b", ct)).Authorized);

        await using var c = await TestNode.ConnectAsync(server, ct);
        var refused = await c.RegisterAsync(key, "c", ct);
        Assert.False(refused.Authorized);
        Assert.Equal(Registrar.RateLimitedError, refused.Error);
        Assert.Equal(2, (await server.Store.ListNodesAsync(null, ct)).Count);
    }
}
