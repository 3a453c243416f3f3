using System.Net;
using System.Net.Sockets;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Tests.Conn;

public sealed class LinuxBindTests
{
    public static TheoryData<string> Loopbacks => new() { "127.0.0.1", "::1" };

    [Fact]
    public void Open_PortZero_ReturnsEphemeralPortAndReopenClosesOld()
    {
        using var bind = new LinuxBind();
        var first = bind.Open(0);
        Assert.NotEqual(0, first);
        Assert.Equal(first, bind.Port);

        // The old socket is gone once reopened, so its port can be bound again by someone else.
        var second = bind.Open(0);
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        probe.Bind(new IPEndPoint(IPAddress.IPv6Any, first));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Open_PortTaken_ThrowsNamingPortAndCall()
    {
        using var first = new LinuxBind();
        var port = first.Open(0);
        using var second = new LinuxBind();

        var error = Assert.Throws<IOException>(() => second.Open(port));

        Assert.Contains($"port {port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("bind", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Loopbacks))]
    public async Task Send_MixedSizes_ArriveInOrderWithSource(string loopback)
    {
        using var sender = new LinuxBind();
        using var receiver = new LinuxBind();
        var senderPort = sender.Open(0);
        var receiverPort = receiver.Open(0);
        // Singles, a GSO run of equal sizes with a shorter tail, a run broken by a larger one, and a
        // 60000-byte datagram followed by a 1-byte one (a legal two-segment GSO message).
        int[] sizes = [100, 1400, 1400, 1400, 500, 1400, 60000, 1, 0, 1280, 1280, 1281];
        var datagrams = BindHarness.Datagrams(sizes, seed: 3);
        var destination = new UdpEndpoint(IPAddress.Parse(loopback).MapToIPv6().GetAddressBytes(), receiverPort);
        var receiving = BindHarness.ReceiveAsync(receiver, sizes.Length);

        sender.Send(datagrams, sizes, destination);

        var received = await receiving;
        Assert.Equal(sizes.Length, received.Count);
        var source = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse(loopback), senderPort));
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(datagrams[i][..sizes[i]], received[i].Data);
            Assert.Equal(source, received[i].From);
        }
        Assert.Equal(0, sender.SendErrors);
        Assert.Equal(sizes.Length, sender.DatagramsSent);
        Assert.Equal(0, receiver.SegmentsDropped);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Send_EqualSizeRun_ArrivesAsSeparateDatagrams(bool gso, bool gro)
    {
        using var sender = new LinuxBind(new LinuxBindOptions { UdpSegmentation = gso });
        using var receiver = new LinuxBind(new LinuxBindOptions { UdpGenericReceive = gro });
        sender.Open(0);
        var port = receiver.Open(0);
        Assert.Equal(gso, sender.SegmentationOffload);
        Assert.Equal(gro, receiver.ReceiveOffload);
        // 128 datagrams: two full GSO messages of 64 segments, the second with a shorter tail.
        var sizes = new int[BindConstants.BatchSize];
        Array.Fill(sizes, 1000);
        sizes[^1] = 77;
        var datagrams = BindHarness.Datagrams(sizes, seed: 11);
        var receiving = BindHarness.ReceiveAsync(receiver, sizes.Length);

        sender.Send(datagrams, sizes, Loopback4(port));

        var received = await receiving;
        Assert.Equal(sizes.Length, received.Count);
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(datagrams[i][..sizes[i]], received[i].Data);
        }
        Assert.Equal(0, receiver.SegmentsDropped);
        Assert.Equal(sizes.Length, receiver.DatagramsReceived);
    }

    [Fact]
    public async Task Receive_CoalescedBeyondBuffers_KeepsWhatFitsAndCountsTheRest()
    {
        using var sender = new LinuxBind();
        using var receiver = new LinuxBind();
        sender.Open(0);
        var port = receiver.Open(0);
        if (!sender.SegmentationOffload || !receiver.ReceiveOffload)
        {
            LabSkip.Because("this kernel lacks UDP GSO or GRO");
        }
        var sizes = new int[10];
        Array.Fill(sizes, 1200);
        var datagrams = BindHarness.Datagrams(sizes, seed: 5);
        var receiving = BindHarness.ReceiveAsync(receiver, 4, slots: 4);

        sender.Send(datagrams, sizes, Loopback4(port));

        // Loopback hands the 10-segment GSO message to the GRO socket whole; only 4 slots were given.
        var received = await receiving;
        Assert.Equal(4, received.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(datagrams[i][..1200], received[i].Data);
        }
        Assert.Equal(6, receiver.SegmentsDropped);
    }

    [Fact]
    public async Task Receive_FromFrameworkIPv4Socket_SourceIsIPv4Mapped()
    {
        using var receiver = new LinuxBind();
        var port = receiver.Open(0);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = BindHarness.ReceiveAsync(receiver, 1);

        await client.SendToAsync(new byte[] { 42, 43 }, new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);

        var received = Assert.Single(await receiving);
        Assert.Equal(new byte[] { 42, 43 }, received.Data);
        Assert.True(received.From.IsIPv4);
        Assert.Equal(client.LocalEndPoint, received.From.ToIPEndPoint());
    }

    [Fact]
    public async Task Send_ToIPv4MappedEndpoint_ReachesFrameworkIPv4Socket()
    {
        using var sender = new LinuxBind();
        var senderPort = sender.Open(0);
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = UdpEndpoint.From((IPEndPoint)server.LocalEndPoint!);
        Assert.True(target.IsIPv4);
        var buffer = new byte[2048];
        var receiving = server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken).AsTask();

        sender.Send([new byte[] { 7, 8, 9 }], [3], target);

        var result = await receiving.WaitAsync(BindHarness.HangGuard, TestContext.Current.CancellationToken);
        Assert.Equal(3, result.ReceivedBytes);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, senderPort), result.RemoteEndPoint);
    }

    [Fact]
    public async Task Close_WhileReceiveBlocked_ReturnsZero()
    {
        using var bind = new LinuxBind();
        bind.Open(0);
        var receiving = BindHarness.ReceiveAsync(bind, 1);

        // Close may run before the receive thread enters recvmmsg or while it sits there; both must end in 0.
        bind.Close();

        Assert.Empty(await receiving);
        Assert.Equal(0, bind.Port);
    }

    [Fact]
    public async Task SendAndReceive_SteadyState_AllocateNothing()
    {
        using var sender = new LinuxBind();
        using var receiver = new LinuxBind();
        sender.Open(0);
        var destination = Loopback4(receiver.Open(0));
        var sizes = new int[BindConstants.BatchSize];
        Array.Fill(sizes, 1400);
        sizes[100] = 200;
        var datagrams = BindHarness.Datagrams(sizes, seed: 1);
        const int Rounds = 4;
        var receiving = Task.Factory.StartNew(
            () =>
            {
                var buffers = BindHarness.Datagrams(sizes, seed: 0);
                var got = new int[buffers.Length];
                var from = new UdpEndpoint[buffers.Length];
                var total = receiver.Receive(buffers, got, from);
                var before = GC.GetAllocatedBytesForCurrentThread();
                while (total < Rounds * sizes.Length)
                {
                    total += receiver.Receive(buffers, got, from);
                }
                return GC.GetAllocatedBytesForCurrentThread() - before;
            },
            TaskCreationOptions.LongRunning);

        sender.Send(datagrams, sizes, destination);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < Rounds; i++)
        {
            sender.Send(datagrams, sizes, destination);
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(0, allocated);
        Assert.Equal(0, await receiving.WaitAsync(BindHarness.HangGuard, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Send_WhenClosed_IsCountedNotThrown()
    {
        using var bind = new LinuxBind();
        bind.Open(0);
        bind.Close();

        bind.Send([new byte[10], new byte[10]], [10, 10], Loopback4(9));

        Assert.Equal(2, bind.SendErrors);
    }

    [Fact]
    public void SetMark_AsRoot_Succeeds()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            LabSkip.Because("SO_MARK needs CAP_NET_ADMIN");
        }
        using var bind = new LinuxBind();
        bind.SetMark(0x51820);
        bind.Open(0);
        bind.SetMark(0);
    }

    private static UdpEndpoint Loopback4(ushort port) => UdpEndpoint.FromIPv4([127, 0, 0, 1], port);
}
