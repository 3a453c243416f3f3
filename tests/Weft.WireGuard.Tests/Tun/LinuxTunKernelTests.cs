using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.WireGuard.Tun;

namespace Weft.WireGuard.Tests.Tun;

/// <summary>
/// LinuxTun against the real kernel, inside namespaces of our own (see <see cref="NetnsLab"/>). Two TUN
/// interfaces in two namespaces are joined by pump threads (Read from one, Write to the other), so a real
/// TCP connection runs through both offload paths: the sender's TSO superpackets are split on Read and
/// the segments are coalesced again on Write.
/// </summary>
public class LinuxTunKernelTests
{
    private const int Offset = Constants.MessageOffset;
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public void Create_PatternName_KernelNameMtuAndOffloadsAreReported()
    {
        NetnsLab.RequireLab();
        using var lab = NetnsLab.Create();
        using var tun = lab.Run(() => LinuxTun.Create("wft%d", 1380));

        Assert.Equal("wft0", tun.Name);
        Assert.Equal(1380, tun.Mtu);
        Assert.True(tun.Offloads.HasFlag(TunOffloads.Checksum | TunOffloads.Tso), $"offloads {tun.Offloads}");
        // Like wireguard-go: the link stays down until the administrator brings it up.
        var flags = lab.Exec("-o", "link", "show", "dev", tun.Name);
        Assert.DoesNotContain(",UP", flags, StringComparison.Ordinal);

        _ = lab.Exec("link", "set", "dev", tun.Name, "mtu", "1300");
        Assert.Equal(1300, tun.Mtu);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public async Task Tcp_ThroughTwoTuns_ReadSplitsToMtuAndWriteCoalescesAcceptedByKernel(int version)
    {
        NetnsLab.RequireLab();
        const int mtu = 1400;
        using var labA = NetnsLab.Create();
        using var labB = NetnsLab.Create();
        var (addressA, addressB, prefix) = version == 4
            ? (IPAddress.Parse("10.201.0.1"), IPAddress.Parse("10.201.0.2"), "/24")
            : (IPAddress.Parse("fd00:201::1"), IPAddress.Parse("fd00:201::2"), "/64");
        using var tunA = labA.Run(() => LinuxTun.Create("wfta", mtu));
        using var tunB = labB.Run(() => LinuxTun.Create("wftb", mtu));
        _ = labA.Exec("addr", "add", addressA + prefix, "dev", tunA.Name, "nodad");
        _ = labB.Exec("addr", "add", addressB + prefix, "dev", tunB.Name, "nodad");
        _ = labA.Exec("link", "set", tunA.Name, "up");
        _ = labB.Exec("link", "set", tunB.Name, "up");
        var forward = new Pump(tunA, tunB);
        var backward = new Pump(tunB, tunA);
        var family = version == 4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        using var listener = labB.Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
        using var client = labA.Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(HangGuard);
        byte[] sentHash = [];
        byte[] receivedHash = [];
        long received = 0;
        OperationCanceledException? stalled = null;
        try
        {
            listener.Bind(new IPEndPoint(addressB, 0));
            listener.Listen();
            var accepting = listener.AcceptAsync(guard.Token);
            await client.ConnectAsync(listener.LocalEndPoint!, guard.Token);
            using var server = await accepting;
            var receiving = Task.Run(() => Drain(server, guard.Token), guard.Token);
            sentHash = await Send(client, 16 << 20, guard.Token);
            (received, receivedHash) = await receiving;
        }
        catch (OperationCanceledException e) when (guard.IsCancellationRequested)
        {
            stalled = e;
        }
        finally
        {
            tunA.Dispose();
            tunB.Dispose();
            forward.Join();
            backward.Join();
        }

        // A stall says little by itself: show what the pumps and both devices saw.
        Assert.True(stalled is null,
            $"transfer stalled after {received} bytes; forward pump: {forward.Failure?.ToString() ?? "ok"}; " +
            $"backward pump: {backward.Failure?.ToString() ?? "ok"}; A: {Describe(tunA)}; B: {Describe(tunB)}");
        Assert.Equal(16 << 20, received);
        Assert.Equal(sentHash, receivedHash);
        Assert.Null(forward.Failure);
        Assert.Null(backward.Failure);
        Assert.True(forward.TcpPackets > 0);
        Assert.Equal(0, forward.BadChecksums + backward.BadChecksums);
        Assert.InRange(forward.LargestPacket, 1, mtu);
        Assert.True(tunA.Counters.SuperpacketsSplit > 0, "the sender's kernel handed us TSO superpackets");
        Assert.True(tunB.Counters.SuperpacketsWritten > 0, "the receiver's kernel was given coalesced superpackets");
        Assert.Equal(0, tunA.Counters.MalformedDropped + tunB.Counters.MalformedDropped);
        Assert.Equal(0, tunA.Counters.WriteErrors + tunB.Counters.WriteErrors);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public async Task Write_UdpBurst_IsOneUsoSuperpacketAndSocketGetsEveryDatagram(int version)
    {
        NetnsLab.RequireLab();
        using var lab = NetnsLab.Create();
        using var tun = lab.Run(() => LinuxTun.Create("wftudp", 1420));
        // PacketBuilder's packets go from 10.0.0.1 / fd00::1 to 10.0.0.2 / fd00::2, port 5002.
        var (local, prefix) = version == 4 ? (IPAddress.Parse("10.0.0.2"), "/24") : (IPAddress.Parse("fd00::2"), "/64");
        _ = lab.Exec("addr", "add", local + prefix, "dev", tun.Name, "nodad");
        _ = lab.Exec("link", "set", "dev", tun.Name, "up");
        using var socket = lab.Run(() => new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(local, 5002));
        var packets = new List<byte[]>();
        for (var i = 0; i < 6; i++)
        {
            packets.Add(PacketBuilder.Udp(version, PacketBuilder.Payload(i == 5 ? 300 : 1000, 70 + i), ipId: (ushort)(40 + i)));
        }
        var buffers = PacketBuilder.Buffers(packets.Count);
        var sizes = new int[packets.Count];
        for (var i = 0; i < packets.Count; i++)
        {
            packets[i].CopyTo(buffers[i], Offset);
            sizes[i] = packets[i].Length;
        }

        tun.Write(buffers, sizes, Offset);

        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(HangGuard);
        var receive = new byte[2048];
        for (var i = 0; i < packets.Count; i++)
        {
            var n = await socket.ReceiveAsync(receive, SocketFlags.None, guard.Token);
            Assert.Equal(PacketBuilder.Payload(i == 5 ? 300 : 1000, 70 + i), receive[..n]);
        }
        Assert.Equal(0, tun.Counters.WriteErrors);
        if (tun.Offloads.HasFlag(TunOffloads.Uso))
        {
            Assert.Equal(1, tun.Counters.SuperpacketsWritten);
            Assert.Equal(6, tun.Counters.SegmentsCoalesced);
        }
    }

    [Fact]
    public async Task Read_InterfaceDeleted_ReturnsZeroAndRaisesDeleted()
    {
        NetnsLab.RequireLab();
        using var lab = NetnsLab.Create();
        using var tun = lab.Run(() => LinuxTun.Create("wftdel", 1420));
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tun.Deleted += () => deleted.TrySetResult();
        var buffers = PacketBuilder.Buffers(tun.BatchSize);
        var sizes = new int[tun.BatchSize];
        var reader = Task.Factory.StartNew(() => tun.Read(buffers, sizes, Offset), TaskCreationOptions.LongRunning);

        _ = lab.Exec("link", "del", "wftdel");

        Assert.Equal(0, await reader.WaitAsync(HangGuard, TestContext.Current.CancellationToken));
        await deleted.Task.WaitAsync(HangGuard, TestContext.Current.CancellationToken);
        Assert.True(tun.IsDeleted);
        Assert.Equal(0, tun.Read(buffers, sizes, Offset));
        var packet = PacketBuilder.Tcp(4, 1, PacketBuilder.Payload(10, 1));
        packet.CopyTo(buffers[0], Offset);
        tun.Write(buffers.AsSpan(0, 1), [packet.Length], Offset);
        Assert.Equal(1, tun.Counters.WriteErrors);
    }

    [Fact]
    public async Task Dispose_WhileReadBlocks_ReadReturnsZero()
    {
        NetnsLab.RequireLab();
        using var lab = NetnsLab.Create();
        var tun = lab.Run(() => LinuxTun.Create("wftdisp", 1420));
        var buffers = PacketBuilder.Buffers(tun.BatchSize);
        var sizes = new int[tun.BatchSize];
        var entered = new ManualResetEventSlim();
        var reader = Task.Factory.StartNew(
            () =>
            {
                entered.Set();
                return tun.Read(buffers, sizes, Offset);
            },
            TaskCreationOptions.LongRunning);
        entered.Wait(TestContext.Current.CancellationToken);

        tun.Dispose();

        Assert.Equal(0, await reader.WaitAsync(HangGuard, TestContext.Current.CancellationToken));
        Assert.False(tun.IsDeleted);
    }

    private static string Describe(LinuxTun tun)
    {
        var c = tun.Counters;
        return $"split {c.SuperpacketsSplit}/{c.SegmentsProduced}, coalesced {c.SuperpacketsWritten}/{c.SegmentsCoalesced}, " +
            $"malformed {c.MalformedDropped}, write errors {c.WriteErrors}";
    }

    private static async Task<byte[]> Send(Socket socket, int total, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = PacketBuilder.Payload(1 << 16, 5);
        for (var sent = 0; sent < total; sent += chunk.Length)
        {
            chunk[0] = (byte)(sent >> 16);
            hash.AppendData(chunk);
            var written = 0;
            while (written < chunk.Length)
            {
                written += await socket.SendAsync(chunk.AsMemory(written), SocketFlags.None, cancellationToken);
            }
        }
        socket.Shutdown(SocketShutdown.Send);
        return hash.GetHashAndReset();
    }

    private static async Task<(long Received, byte[] Hash)> Drain(Socket socket, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long received = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return (received, hash.GetHashAndReset());
            }
            hash.AppendData(buffer, 0, n);
            received += n;
        }
    }

    /// <summary>Moves packets from one TUN to the other on its own thread and checks every TCP packet it sees.</summary>
    private sealed class Pump
    {
        private readonly Thread _thread;

        public Pump(LinuxTun from, LinuxTun to)
        {
            _thread = new Thread(() => Loop(from, to)) { IsBackground = true, Name = $"pump {from.Name}->{to.Name}" };
            _thread.Start();
        }

        public int LargestPacket { get; private set; }

        public long TcpPackets { get; private set; }

        public long BadChecksums { get; private set; }

        public Exception? Failure { get; private set; }

        public void Join() => _thread.Join();

        private void Loop(LinuxTun from, LinuxTun to)
        {
            try
            {
                var buffers = PacketBuilder.Buffers(from.BatchSize);
                var sizes = new int[from.BatchSize];
                while (true)
                {
                    var count = from.Read(buffers, sizes, Offset);
                    if (count == 0)
                    {
                        return;
                    }
                    for (var i = 0; i < count; i++)
                    {
                        Inspect(buffers[i].AsSpan(Offset, sizes[i]));
                    }
                    to.Write(buffers.AsSpan(0, count), sizes.AsSpan(0, count), Offset);
                }
            }
            catch (Exception e)
            {
                Failure = e;
            }
        }

        private void Inspect(ReadOnlySpan<byte> packet)
        {
            LargestPacket = Math.Max(LargestPacket, packet.Length);
            var version = packet[0] >> 4;
            var protocol = version == 4 ? packet[9] : packet[6];
            if (protocol != 6)
            {
                return;
            }
            TcpPackets++;
            if ((version == 4 && !ReferenceChecksum.Ipv4HeaderValid(packet)) || !ReferenceChecksum.TransportValid(packet))
            {
                BadChecksums++;
            }
        }
    }
}
