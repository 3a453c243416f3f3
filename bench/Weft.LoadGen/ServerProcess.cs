using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Weft.LoadGen;

/// <summary>A `weft control` process on loopback with its own data dir, started for one measurement and killed after it.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>Lines of the server's output kept to explain a failure.</summary>
    private const int TailLines = 40;

    /// <summary>Characters kept of each of those lines.</summary>
    private const int MaxLine = 400;

    private readonly Process _process;
    private readonly string _dataDir;

    /// <summary>_tail guards itself.</summary>
    private readonly Queue<string> _tail = new();

    private ServerProcess(Process process, string dataDir, Uri address)
    {
        _process = process;
        _dataDir = dataDir;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    /// <summary>The owner API key the server wrote on first start.</summary>
    public string OwnerApiKeyFile => Path.Combine(_dataDir, "owner-api-key");

    /// <summary>Starts `weft control` and waits until /readyz answers and the owner key exists.</summary>
    public static async Task<ServerProcess> StartAsync(string weft, string dataDir, HttpClient http, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo(weft, ["control", "--data-dir", dataDir, "--listen", address.ToString().TrimEnd('/')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Every simulated node registers from 127.0.0.1: the per-source registration limit would measure itself.
        info.Environment["WEFT_CONTROL_REGISTER_BURST"] = "1000000";
        info.Environment["WEFT_CONTROL_REGISTER_PER_MINUTE"] = "1000000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {weft}");
        var server = new ServerProcess(process, dataDir, address);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(deadline) < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"weft control exited with {process.ExitCode} before it was ready:\n{server.Tail()}");
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(address, "/readyz"), ct).ConfigureAwait(false);
                if (ready.IsSuccessStatusCode && File.Exists(server.OwnerApiKeyFile))
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        await server.DisposeAsync().ConfigureAwait(false);
        throw new TimeoutException($"weft control did not become ready within 60 s:\n{server.Tail()}");
    }

    /// <summary>The last lines the server printed.</summary>
    public string Tail()
    {
        lock (_tail)
        {
            var lines = new List<string>(_tail.Count);
            foreach (var line in _tail)
            {
                // Stack traces arrive as one long line; the first part names the failure.
                lines.Add(line.Length > MaxLine ? line[..MaxLine] + " ..." : line);
            }

            return string.Join('\n', lines);
        }
    }

    public bool HasExited => _process.HasExited;

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }
}
