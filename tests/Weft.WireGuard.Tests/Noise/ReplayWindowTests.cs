using FsCheck;
using FsCheck.Fluent;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class ReplayWindowTests
{
    [Fact]
    public void TryAccept_EachCounterInAnyOrderWithinWindow_AcceptedExactlyOnce()
    {
        var gen =
            from start in Gen.Choose(0, 1_000_000)
            from count in Gen.Choose(1, ReplayWindow.Size)
            from order in Gen.Shuffle(Enumerable.Range(0, count).ToArray())
            select (start, order);
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var window = new ReplayWindow();
            foreach (var offset in input.order)
            {
                if (!window.TryAccept((ulong)(input.start + offset)))
                {
                    return false;
                }
            }
            foreach (var offset in input.order)
            {
                if (window.TryAccept((ulong)(input.start + offset)))
                {
                    return false;
                }
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TryAccept_MatchesModelOfSeenSetAndWindow()
    {
        // Random walks of counters (mostly forward, some behind, some far jumps) against a model:
        // accept iff unseen, under the limit and less than Size behind the greatest accepted so far.
        var step = Gen.OneOf(Gen.Choose(-200, 200), Gen.Choose(-9000, 9000), Gen.Choose(0, 100_000));
        Prop.ForAll(Gen.ListOf(step).ToArbitrary(), steps =>
        {
            var window = new ReplayWindow();
            var seen = new HashSet<ulong>();
            ulong? newest = null;
            long position = 50_000;
            foreach (var delta in steps)
            {
                position = Math.Max(0, position + delta);
                var counter = (ulong)position;
                var expected = !seen.Contains(counter) && (newest is null || counter > newest || newest - counter < ReplayWindow.Size);
                if (window.TryAccept(counter) != expected)
                {
                    return false;
                }
                if (expected)
                {
                    seen.Add(counter);
                    newest = newest is null ? counter : Math.Max(newest.Value, counter);
                }
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TryAccept_JustOutsideWindow_IsRejected()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(100_000));
        Assert.True(window.TryAccept(100_000 - ReplayWindow.Size + 1));
        Assert.False(window.TryAccept(100_000 - ReplayWindow.Size));
        Assert.False(window.TryAccept(0));
    }

    [Fact]
    public void TryAccept_FarJump_ForgetsOldBitsWithoutFalseReplays()
    {
        var window = new ReplayWindow();
        for (ulong c = 0; c < 200; c++)
        {
            Assert.True(window.TryAccept(c));
        }
        // Same ring slots as 0..199, one full ring later: must read as unseen.
        var jump = (ulong)Constants.ReplayWindowSize;
        for (ulong c = jump; c < jump + 200; c++)
        {
            Assert.True(window.TryAccept(c));
        }
        Assert.False(window.TryAccept(jump + 5));
        Assert.False(window.TryAccept(5));
    }

    [Fact]
    public void TryAccept_AtOrBeyondRejectAfterMessages_IsRejected()
    {
        var window = new ReplayWindow();
        Assert.False(window.TryAccept(Constants.RejectAfterMessages));
        Assert.False(window.TryAccept(ulong.MaxValue));
        Assert.True(window.TryAccept(Constants.RejectAfterMessages - 1));
    }

    [Fact]
    public void Reset_ForgetsSeenCounters()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(10_000));
        window.Reset();
        // Too old for the window before Reset; a fresh window takes it, and 10 000 again after it.
        Assert.True(window.TryAccept(1));
        Assert.True(window.TryAccept(10_000));
    }

    [Fact]
    public void TryAccept_ManyThreadsSameCounters_EachAcceptedOnce()
    {
        var window = new ReplayWindow();
        var accepted = 0;
        Parallel.For(0, 4, _ =>
        {
            for (ulong c = 0; c < 5000; c++)
            {
                if (window.TryAccept(c))
                {
                    Interlocked.Increment(ref accepted);
                }
            }
        });
        Assert.Equal(5000, accepted);
    }
}
