using System.Diagnostics;

namespace Weft.Node.Os;

/// <summary>Runs iproute2's `ip` and reports how it ended; the daemon's only way of changing interfaces and routes.</summary>
internal static class IpCommand
{
    /// <summary>Our choice: `ip` answers in milliseconds; this only bounds a wedged kernel or binary.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(10);

    /// <summary>Runs `ip ARGS...`; returns the exit code and standard error.</summary>
    public static async Task<(int ExitCode, string Error)> RunAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ip");
        var error = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(HangGuard);
        try
        {
            await process.WaitForExitAsync(guard.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"`ip {string.Join(' ', arguments)}` did not finish within {HangGuard.TotalSeconds} s");
        }
        return (process.ExitCode, (await error.ConfigureAwait(false)).Trim());
    }
}
