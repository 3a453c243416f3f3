using System.Diagnostics;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>Runs the standard `wg` tool and collects its output.</summary>
internal static class WgTool
{
    /// <summary>Full path of `wg` on PATH, or null when it is not installed.</summary>
    public static string? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "wg");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Find() ?? "wg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("wg did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs `wg` and fails the test, quoting its output, unless it exits with 0.</summary>
    public static async Task<string> RunCheckedAsync(params string[] arguments)
    {
        var (exitCode, output, error) = await RunAsync(arguments);
        Assert.True(exitCode == 0, $"wg {string.Join(' ', arguments)} exited {exitCode}: {error}{output}");
        return output;
    }
}
