using System.Net;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Tests.Conn;

public sealed class ChannelBindTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public void Send_ToPeerEndpoint_ArrivesWithSenderAsSource()
    {
        ChannelBind.CreatePair(out var a, out var b);
        using (a)
        using (b)
        {
            var portA = a.Open(0);
            var portB = b.Open(0);
            Assert.NotEqual(portA, portB);

            a.Send([[1, 2, 3], [4, 5, 6, 7]], [3, 4], b.LocalEndpoint);

            var (buffers, sizes, endpoints) = Slots(8);
            var count = b.Receive(buffers, sizes, endpoints);
            Assert.Equal(2, count);
            Assert.Equal(new byte[] { 1, 2, 3 }, buffers[0][..sizes[0]]);
            Assert.Equal(new byte[] { 4, 5, 6, 7 }, buffers[1][..sizes[1]]);
            Assert.Equal(a.LocalEndpoint, endpoints[0]);
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, portA), endpoints[1].ToIPEndPoint());
        }
    }

    [Fact]
    public void Send_ToOtherEndpoint_IsRecordedAndCountedUnroutable()
    {
        ChannelBind.CreatePair(out var a, out var b);
        using (a)
        using (b)
        {
            a.Open(0);
            b.Open(0);
            var elsewhere = UdpEndpoint.From(IPEndPoint.Parse("192.0.2.7:9"));

            a.Send([[9, 9]], [2], elsewhere);

            Assert.Equal(1, a.Unroutable);
            Assert.True(a.Sent.TryRead(out var sent));
            Assert.Equal(elsewhere, sent.Destination);
            Assert.Equal(new byte[] { 9, 9 }, sent.Datagram);
            b.Inject([0], elsewhere);
            var (buffers, sizes, endpoints) = Slots(4);
            Assert.Equal(1, b.Receive(buffers, sizes, endpoints));
            Assert.Equal(elsewhere, endpoints[0]);
        }
    }

    [Fact]
    public void Inject_QueueFull_IsDroppedAndCounted()
    {
        using var bind = new ChannelBind(capacity: 2);
        bind.Open(0);
        var from = UdpEndpoint.From(IPEndPoint.Parse("[fd00::1]:51820"));

        Assert.True(bind.Inject([1], from));
        Assert.True(bind.Inject([2], from));
        Assert.False(bind.Inject([3], from));

        Assert.Equal(1, bind.Dropped);
        var (buffers, sizes, endpoints) = Slots(4);
        Assert.Equal(2, bind.Receive(buffers, sizes, endpoints));
        Assert.Equal(2, buffers[1][0]);
    }

    [Fact]
    public void Receive_MoreQueuedThanBuffers_ReturnsOneBatchAtATime()
    {
        using var bind = new ChannelBind();
        bind.Open(0);
        var from = UdpEndpoint.From(IPEndPoint.Parse("10.0.0.1:1"));
        for (byte i = 0; i < 5; i++)
        {
            bind.Inject([i], from);
        }

        var (buffers, sizes, endpoints) = Slots(3);
        Assert.Equal(3, bind.Receive(buffers, sizes, endpoints));
        Assert.Equal(2, bind.Receive(buffers, sizes, endpoints));
        Assert.Equal(4, buffers[1][0]);
    }

    [Fact]
    public async Task Close_WhileReceiveBlocked_ReturnsZero()
    {
        using var bind = new ChannelBind();
        bind.Open(0);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receive = Task.Factory.StartNew(
            () =>
            {
                var (buffers, sizes, endpoints) = Slots(4);
                started.SetResult();
                return bind.Receive(buffers, sizes, endpoints);
            },
            TaskCreationOptions.LongRunning);
        await started.Task;

        bind.Close();

        Assert.Equal(0, await receive.WaitAsync(HangGuard, TestContext.Current.CancellationToken));
        var (b, s, e) = Slots(1);
        Assert.Equal(0, bind.Receive(b, s, e));
    }

    [Fact]
    public async Task Send_ThousandsOfDatagrams_AllArriveInOrder()
    {
        const int Total = 320 * 64;
        // Room for all of them, so the test proves delivery and order rather than the drop policy.
        ChannelBind.CreatePair(out var a, out var b, capacity: Total);
        using (a)
        using (b)
        {
            a.Open(0);
            b.Open(0);
            var receiver = Task.Factory.StartNew(
                () =>
                {
                    var (buffers, sizes, endpoints) = Slots(b.BatchSize);
                    var seen = 0;
                    while (seen < Total)
                    {
                        var count = b.Receive(buffers, sizes, endpoints);
                        for (var i = 0; i < count; i++, seen++)
                        {
                            if (BitConverter.ToInt32(buffers[i]) != seen || sizes[i] != 1400)
                            {
                                return seen;
                            }
                        }
                    }
                    return seen;
                },
                TaskCreationOptions.LongRunning);

            var batch = new byte[64][];
            var batchSizes = new int[64];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = new byte[1400];
                batchSizes[i] = 1400;
            }
            for (var sent = 0; sent < Total;)
            {
                for (var i = 0; i < batch.Length; i++)
                {
                    BitConverter.TryWriteBytes(batch[i], sent + i);
                }
                a.Send(batch, batchSizes, b.LocalEndpoint);
                sent += batch.Length;
            }

            Assert.Equal(Total, await receiver.WaitAsync(HangGuard, TestContext.Current.CancellationToken));
            Assert.Equal(0, b.Dropped);
        }
    }

    private static (byte[][] Buffers, int[] Sizes, UdpEndpoint[] Endpoints) Slots(int count)
    {
        var buffers = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            buffers[i] = new byte[2048];
        }
        return (buffers, new int[count], new UdpEndpoint[count]);
    }
}
