using System.Diagnostics;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Tests.Conn;

/// <summary>
/// Loopback datagrams per second of 1400-byte packets with and without UDP GSO/GRO. A measurement for
/// reports, not an assertion; runs only when WEFT_BIND_THROUGHPUT=1 so ordinary test runs stay quick.
/// </summary>
public sealed class LinuxBindThroughputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Throughput_Loopback1400Bytes_WritesDatagramsPerSecond(bool gso, bool gro)
    {
        if (Environment.GetEnvironmentVariable("WEFT_BIND_THROUGHPUT") != "1")
        {
            Assert.Skip("set WEFT_BIND_THROUGHPUT=1 to measure");
        }
        using var sender = new LinuxBind(new LinuxBindOptions { UdpSegmentation = gso });
        using var receiver = new LinuxBind(new LinuxBindOptions { UdpGenericReceive = gro });
        sender.Open(0);
        var port = receiver.Open(0);
        var received = 0L;
        var receiving = Task.Factory.StartNew(
            () =>
            {
                var buffers = new byte[BindConstants.BatchSize][];
                for (var i = 0; i < buffers.Length; i++)
                {
                    buffers[i] = GC.AllocateArray<byte>(Constants.BufferSize, pinned: true);
                }
                var sizes = new int[buffers.Length];
                var endpoints = new UdpEndpoint[buffers.Length];
                int count;
                while ((count = receiver.Receive(buffers, sizes, endpoints)) > 0)
                {
                    Interlocked.Add(ref received, count);
                }
            },
            TaskCreationOptions.LongRunning);

        var batch = new byte[BindConstants.BatchSize][];
        var batchSizes = new int[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = GC.AllocateArray<byte>(Constants.BufferSize, pinned: true);
            batchSizes[i] = 1400;
        }
        var destination = UdpEndpoint.FromIPv4([127, 0, 0, 1], port);
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        while (clock.Elapsed < Duration)
        {
            sender.Send(batch, batchSizes, destination);
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var seconds = clock.Elapsed.TotalSeconds;
        var got = Interlocked.Read(ref received);
        receiver.Close();
        await receiving.WaitAsync(BindHarness.HangGuard, TestContext.Current.CancellationToken);

        output.WriteLine(
            $"gso={sender.SegmentationOffload} gro={receiver.ReceiveOffload}: sent {sender.DatagramsSent / seconds:N0}/s, " +
            $"received {got / seconds:N0}/s ({got * 1400 * 8 / seconds / 1e9:N2} Gbit/s payload), send errors {sender.SendErrors}, " +
            $"sender allocated {allocated} bytes");
        Assert.True(got > 0);
    }
}
