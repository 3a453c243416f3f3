using Microsoft.Extensions.Time.Testing;
using Weft.Node.ControlLoop;

namespace Weft.Node.Tests.ControlLoop;

public sealed class BackoffTests
{
    [Fact]
    public void Next_DoublesTheCeilingUpToTheMaximum_WithJitterInTheUpperHalf()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(7));
        double[] ceilings = [1, 2, 4, 8, 16, 30, 30, 30];

        foreach (var ceiling in ceilings)
        {
            var wait = backoff.Next().TotalSeconds;
            Assert.InRange(wait, ceiling / 2, ceiling);
        }
        Assert.Equal(ceilings.Length, backoff.Failures);
    }

    [Fact]
    public void Next_IsJittered_NotTheSameForEveryNode()
    {
        var a = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(1));
        var b = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(2));

        Assert.NotEqual(a.Next(), b.Next());
    }

    [Fact]
    public void Reset_StartsAgainFromTheInitialCeiling()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(3));
        for (var i = 0; i < 10; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
    }

    [Fact]
    public void Next_ManyFailures_NeverOverflowsPastTheMaximum()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5), new Random(4));
        for (var i = 0; i < 500; i++)
        {
            Assert.InRange(backoff.Next(), TimeSpan.Zero, TimeSpan.FromMinutes(5));
        }
    }

    [Fact]
    public async Task DelayAsync_EndsOnlyWhenTheClockPassesTheWait()
    {
        var time = new FakeTimeProvider();
        var backoff = new Backoff(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(30), new Random(5));

        var delay = backoff.DelayAsync(time, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2.1));

        await delay.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
