using System.Diagnostics;
using System.Text;
using Weft.Lab.Interop;

namespace Weft.Lab;

/// <summary>
/// A long-running process (a WireGuard implementation, an iperf3 server, a ping) whose output is kept
/// for assertions and failure messages, stopped with SIGTERM and, failing that, killed.
/// </summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _commandLine;

    // _gate guards the fields below.
    private readonly Lock _gate = new();
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    // Kept so HasExited and ExitCode still answer after the Process object is released.
    private int? _exitCodeAfterDispose;

    private LabProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
    }

    /// <summary>The process id (for `ip netns exec` this is the command itself: ip execs it in place).</summary>
    public int Id => _process.Id;

    /// <summary>The command line it was started with.</summary>
    public string CommandLine => _commandLine;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _exitCodeAfterDispose is not null || _process.HasExited;

    /// <summary>The exit code; only valid once <see cref="HasExited"/>.</summary>
    public int ExitCode => _exitCodeAfterDispose ?? _process.ExitCode;

    /// <summary>The last <see cref="LabConstants.OutputTailChars"/> characters of stdout and stderr, interleaved by line.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="arguments"/> (the first is the program) with extra environment variables.</summary>
    public static LabProcess Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(arguments.Count);
        var startInfo = new ProcessStartInfo(arguments[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        for (var i = 1; i < arguments.Count; i++)
        {
            startInfo.ArgumentList.Add(arguments[i]);
        }
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                startInfo.Environment[name] = value;
            }
        }
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var commandLine = string.Join(' ', arguments);
        var labProcess = new LabProcess(process, commandLine);
        process.OutputDataReceived += (_, e) => labProcess.Append(e.Data);
        process.ErrorDataReceived += (_, e) => labProcess.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new LabException($"cannot start `{commandLine}`: {e.Message}", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return labProcess;
    }

    /// <summary>Completes when a line containing <paramref name="text"/> has been printed; fails when the process exits first or the hang guard expires.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan hangGuard)
    {
        TaskCompletionSource seen;
        lock (_gate)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }
            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
        }
        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(seen.Task, exited, Task.Delay(hangGuard)).ConfigureAwait(false);
        if (finished == seen.Task)
        {
            return;
        }
        if (Output.Contains(text, StringComparison.Ordinal))
        {
            return;
        }
        var why = finished == exited ? $"exited with {_process.ExitCode}" : $"printed nothing matching within {hangGuard.TotalSeconds} s";
        throw new LabException($"`{_commandLine}` {why} before printing \"{text}\"; output: {Output}");
    }

    /// <summary>Waits for the process to exit on its own; returns false when the hang guard expires first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan hangGuard)
    {
        using var timer = new CancellationTokenSource(hangGuard);
        try
        {
            await _process.WaitForExitAsync(timer.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sends SIGTERM (the way systemd and wg-quick stop wireguard-go).</summary>
    public void Terminate()
    {
        if (!_process.HasExited && Libc.kill(_process.Id, Libc.SIGTERM) != 0 && !_process.HasExited)
        {
            throw new LabException($"kill(SIGTERM) of {_process.Id} (`{_commandLine}`) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>SIGTERM, then SIGKILL after <see cref="LabConstants.StopGrace"/>; returns true when SIGTERM alone was enough.</summary>
    public async Task<bool> StopAsync()
    {
        if (_process.HasExited)
        {
            return true;
        }
        Terminate();
        if (await WaitForExitAsync(LabConstants.StopGrace).ConfigureAwait(false))
        {
            return true;
        }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    /// <summary>Stops the process if it still runs and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_exitCodeAfterDispose is not null)
        {
            return;
        }
        try
        {
            await StopAsync().ConfigureAwait(false);
            _exitCodeAfterDispose = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped: nothing left to stop.
            _exitCodeAfterDispose = -1;
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        List<TaskCompletionSource>? ready = null;
        lock (_gate)
        {
            _output.Append(line).Append('\n');
            if (_output.Length > LabConstants.OutputTailChars)
            {
                _output.Remove(0, _output.Length - LabConstants.OutputTailChars);
            }
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (line.Contains(_waiters[i].Text, StringComparison.Ordinal))
                {
                    (ready ??= []).Add(_waiters[i].Seen);
                    _waiters.RemoveAt(i);
                }
            }
        }
        if (ready is not null)
        {
            foreach (var seen in ready)
            {
                seen.TrySetResult();
            }
        }
    }
}
