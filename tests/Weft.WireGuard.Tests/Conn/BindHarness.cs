using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Tests.Conn;

/// <summary>Helpers shared by the bind tests: batches of numbered datagrams and a receive loop on its own thread.</summary>
internal static class BindHarness
{
    /// <summary>Upper bound on waiting for a receive: a hang guard only, never a timing assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>Datagram i has the given size and bytes (seed + i + position) so any mix-up shows.</summary>
    public static byte[][] Datagrams(ReadOnlySpan<int> sizes, int seed)
    {
        var datagrams = new byte[sizes.Length][];
        for (var i = 0; i < sizes.Length; i++)
        {
            datagrams[i] = new byte[Constants.BufferSize];
            for (var j = 0; j < sizes[i]; j++)
            {
                datagrams[i][j] = (byte)(seed + (i * 7) + j);
            }
        }
        return datagrams;
    }

    /// <summary>Receives on a dedicated thread until <paramref name="expected"/> datagrams came, with a hang guard.</summary>
    public static async Task<List<(byte[] Data, UdpEndpoint From)>> ReceiveAsync(IBind bind, int expected, int slots = BindConstants.BatchSize)
    {
        var task = Task.Factory.StartNew(
            () =>
            {
                var buffers = new byte[slots][];
                for (var i = 0; i < slots; i++)
                {
                    buffers[i] = GC.AllocateArray<byte>(Constants.BufferSize, pinned: true);
                }
                var sizes = new int[slots];
                var endpoints = new UdpEndpoint[slots];
                var received = new List<(byte[], UdpEndpoint)>();
                while (received.Count < expected)
                {
                    var count = bind.Receive(buffers, sizes, endpoints);
                    if (count == 0)
                    {
                        break;
                    }
                    for (var i = 0; i < count; i++)
                    {
                        received.Add((buffers[i][..sizes[i]], endpoints[i]));
                    }
                }
                return received;
            },
            TaskCreationOptions.LongRunning);
        return await task.WaitAsync(HangGuard, TestContext.Current.CancellationToken);
    }
}
