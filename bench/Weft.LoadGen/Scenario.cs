using System.Globalization;
using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.LoadGen;

/// <summary>
/// One measurement at one tailnet size: N nodes join, the streams go quiet, then endpoint changes and one
/// policy edit are timed from the moment they are made to each affected node's receipt of the delta.
/// </summary>
internal sealed class Scenario(LoadGenOptions options, HttpClient http, TextWriter log)
{
    /// <summary>Endpoint changes use the TEST-NET-2 range (RFC 5737): never a real address. The port makes each unique.</summary>
    private const string EndpointPrefix = "198.51.100.";

    /// <summary>Counts endpoint changes across sizes so every marker is unique on a shared server.</summary>
    private int _changeSerial;

    public async Task<SizeResult> RunAsync(int size, CancellationToken ct)
    {
        var result = new SizeResult(size);
        ServerProcess? spawned = null;
        try
        {
            Uri server;
            string apiKeyFile;
            int? pid;
            if (options.Spawn is { } weft)
            {
                var root = options.WorkDir ?? Path.Combine(Path.GetTempPath(), "weft-loadgen");
                spawned = await ServerProcess.StartAsync(weft, Path.Combine(root, $"control-{size}-{Environment.ProcessId}"), http, ct).ConfigureAwait(false);
                (server, apiKeyFile, pid) = (spawned.Address, spawned.OwnerApiKeyFile, spawned.Pid);
            }
            else
            {
                (server, apiKeyFile, pid) = (options.Server!, options.ApiKeyFile!, options.ServerPid);
            }

            var admin = new AdminApi(http, server, (await File.ReadAllTextAsync(apiKeyFile, ct).ConfigureAwait(false)).Trim());
            await admin.SetPolicyAsync(AdminApi.AllowAll, ct).ConfigureAwait(false);
            var authKey = await admin.CreateAuthKeyAsync(ct).ConfigureAwait(false);
            var serverKey = await ControlClient.FetchServerKeyAsync(http, server, ct).ConfigureAwait(false);
            await MeasureAsync(result, server, serverKey, authKey, admin, pid, spawned, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException or ControlProtocolException)
        {
            result.Notes.Add($"stopped: {ex.Message}");
        }
        finally
        {
            if (spawned is not null)
            {
                if (spawned.HasExited)
                {
                    result.Notes.Add($"the server process exited during the run; its last output:\n{spawned.Tail()}");
                }

                await spawned.DisposeAsync().ConfigureAwait(false);
            }
        }

        result.GeneratorPeakRssKiB = ServerStats.Read(Environment.ProcessId)?.PeakRssKiB ?? 0;
        return result;
    }

    private async Task MeasureAsync(SizeResult result, Uri server, Key32 serverKey, string authKey, AdminApi admin, int? pid, ServerProcess? spawned, CancellationToken ct)
    {
        var size = result.Nodes;
        var board = new ProbeBoard();
        var nodes = new SimNode?[size];
        var before = Stats(pid);
        try
        {
            log.WriteLine(Inv($"[{size:N0}] joining with {options.Concurrency} at a time"));
            var start = TimeProvider.System.GetTimestamp();
            var failures = await JoinAllAsync(nodes, server, serverKey, authKey, board, ct).ConfigureAwait(false);
            var joinTime = TimeProvider.System.GetElapsedTime(start);
            result.Joined = size - failures.Count;
            result.LastFirstMapBytes = nodes[^1]?.FirstMapBytes ?? 0;
            if (failures.Count == 0)
            {
                result.JoinTime = joinTime;
            }
            else
            {
                result.Notes.Add(Inv($"{failures.Count:N0} of {size:N0} nodes failed to join in {joinTime.TotalSeconds:F1} s; first errors: {string.Join(" | ", failures.Take(3))}"));
                if (spawned is not null)
                {
                    result.Notes.Add($"server output meanwhile (last lines):\n{spawned.Tail()}");
                }
            }

            result.AfterJoin = Stats(pid);
            result.JoinCpu = result.AfterJoin?.CpuSeconds - before?.CpuSeconds;
            log.WriteLine(Inv($"[{size:N0}] joined {result.Joined:N0} in {joinTime.TotalSeconds:F1} s; waiting for the join deltas to drain"));
            var settled = result.Joined >= 2 && await SettleAsync(board, result, ct).ConfigureAwait(false);
            result.Notes.Add(Inv($"join phase: the nodes received {board.Frames:N0} delta frames, {board.Bytes / (1024.0 * 1024):F1} MiB after their first maps (sum of all first maps: {FirstMapTotal(nodes) / (1024.0 * 1024):F1} MiB)"));
            if (!settled)
            {
                return;
            }

            var live = new List<SimNode>(result.Joined);
            foreach (var n in nodes)
            {
                if (n is not null)
                {
                    live.Add(n);
                }
            }

            var cpu0 = Stats(pid)?.CpuSeconds;
            result.Endpoint = await MeasureEndpointChangesAsync(live, size, board, result, ct).ConfigureAwait(false);
            result.EndpointCpu = Stats(pid)?.CpuSeconds - cpu0;
            if (spawned is { HasExited: true } || !await SettleAsync(board, result, ct).ConfigureAwait(false))
            {
                return;
            }

            log.WriteLine(Inv($"[{size:N0}] policy edit"));
            cpu0 = Stats(pid)?.CpuSeconds;
            var probe = new Probe("\"peersRemoved\"", size, live.Count);
            result.Policy = await TimeAsync(probe, board, () => admin.SetPolicyAsync(AdminApi.ForbidAll, ct), result, "policy edit", ct).ConfigureAwait(false);
            result.PolicyCpu = Stats(pid)?.CpuSeconds - cpu0;
        }
        finally
        {
            result.AtEnd = Stats(pid);
            log.WriteLine(Inv($"[{size:N0}] closing {result.Joined:N0} connections"));
            foreach (var n in nodes)
            {
                if (n is not null)
                {
                    await n.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Joins every node, at most <see cref="LoadGenOptions.Concurrency"/> at once; returns the errors of those that failed.</summary>
    private async Task<List<string>> JoinAllAsync(SimNode?[] nodes, Uri server, Key32 serverKey, string authKey, ProbeBoard board, CancellationToken ct)
    {
        var failures = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.PhaseTimeout);
        var next = -1;
        var progress = 0;
        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < nodes.Length)
            {
                try
                {
                    var node = await SimNode.JoinAsync(i, server, serverKey, authKey, timeout.Token).ConfigureAwait(false);
                    node.StartReading(board);
                    nodes[i] = node;
                }
                catch (Exception ex) when (ex is ControlProtocolException or IOException or System.Net.WebSockets.WebSocketException or OperationCanceledException)
                {
                    lock (failures)
                    {
                        failures.Add(Inv($"node {i}: {ex.Message}"));
                    }
                }

                if (Interlocked.Increment(ref progress) % 1000 == 0)
                {
                    log.WriteLine(Inv($"  {progress:N0} nodes done"));
                }
            }
        }

        var workers = new Task[Math.Min(options.Concurrency, nodes.Length)];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(WorkerAsync, CancellationToken.None);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return failures;
    }

    private async Task<Latency?> MeasureEndpointChangesAsync(List<SimNode> live, int size, ProbeBoard board, SizeResult result, CancellationToken ct)
    {
        var samples = new List<double>();
        long bytes = 0;
        var expected = 0;
        for (var k = 0; k < options.Changes; k++)
        {
            var changer = live[(int)((long)k * live.Count / options.Changes)];
            var serial = Interlocked.Increment(ref _changeSerial);
            // The marker is the whole JSON string, quotes included, so port 4 never matches inside port 41.
            var endpoint = Inv($"{EndpointPrefix}{1 + (serial / 50_000)}:{10_000 + (serial % 50_000)}");
            log.WriteLine(Inv($"[{size:N0}] endpoint change {k + 1} of {options.Changes} from node {changer.Index}"));
            var probe = new Probe($"\"{endpoint}\"", size, live.Count - 1);
            var one = await TimeAsync(probe, board, () => changer.SendEndpointsAsync(endpoint, ct), result, $"endpoint change {k + 1}", ct).ConfigureAwait(false);
            probe.CollectLatencies(samples);
            bytes += one?.BytesPerChange ?? 0;
            expected += probe.Expected;
            if (k + 1 < options.Changes && !await SettleAsync(board, result, ct).ConfigureAwait(false))
            {
                break;
            }
        }

        return Latency.From(samples, expected, bytes / options.Changes);
    }

    /// <summary>Makes one change under <paramref name="probe"/> and waits until every affected node has it or the phase times out.</summary>
    private async Task<Latency?> TimeAsync(Probe probe, ProbeBoard board, Func<Task> change, SizeResult result, string what, CancellationToken ct)
    {
        board.Begin(probe);
        probe.Start();
        await change().ConfigureAwait(false);
        try
        {
            await probe.Done.WaitAsync(options.PhaseTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            result.Notes.Add(Inv($"{what}: only {probe.Received:N0} of {probe.Expected:N0} nodes had the delta after {options.PhaseTimeout.TotalSeconds:F0} s"));
        }
        finally
        {
            board.Begin(null);
        }

        var samples = new List<double>(probe.Expected);
        probe.CollectLatencies(samples);
        return Latency.From(samples, probe.Expected, probe.Bytes);
    }

    /// <summary>
    /// Waits until no node has received a frame for <see cref="LoadGenOptions.Settle"/>, so a measured change
    /// does not queue behind the deltas of the joins. False (with a note) when the streams never go quiet.
    /// </summary>
    private async Task<bool> SettleAsync(ProbeBoard board, SizeResult result, CancellationToken ct)
    {
        var start = TimeProvider.System.GetTimestamp();
        var frames0 = board.Frames;
        while (true)
        {
            var last = board.LastFrameTimestamp;
            var quiet = last == 0 ? TimeProvider.System.GetElapsedTime(start) : TimeProvider.System.GetElapsedTime(last);
            if (quiet >= options.Settle)
            {
                var waited = TimeProvider.System.GetElapsedTime(start);
                if (waited > options.Settle * 2)
                {
                    result.Notes.Add(Inv($"streams took {(waited - options.Settle).TotalSeconds:F1} s to drain {board.Frames - frames0:N0} more frames before a measurement"));
                }

                return true;
            }

            if (TimeProvider.System.GetElapsedTime(start) > options.PhaseTimeout)
            {
                result.Notes.Add(Inv($"streams did not go quiet within {options.PhaseTimeout.TotalSeconds:F0} s ({board.Frames - frames0:N0} frames meanwhile); later phases skipped"));
                return false;
            }

            // A benchmark's settle poll: the generator cannot know how many deltas the server still has queued.
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
        }
    }

    private static long FirstMapTotal(SimNode?[] nodes)
    {
        long total = 0;
        foreach (var n in nodes)
        {
            total += n?.FirstMapBytes ?? 0;
        }

        return total;
    }

    private static ServerStats? Stats(int? pid) => pid is { } p ? ServerStats.Read(p) : null;

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
