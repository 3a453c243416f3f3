using System.Diagnostics;

namespace Weft.Lab;

/// <summary>Runs a short command to completion, capturing its output, with a timeout as hang guard.</summary>
public static class Command
{
    /// <summary>Runs <paramref name="arguments"/> (the first is the program) and returns how it ended; never throws for a nonzero exit.</summary>
    public static async Task<CommandResult> RunAsync(
        IReadOnlyList<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(arguments.Count);
        var commandLine = string.Join(' ', arguments);
        var startInfo = new ProcessStartInfo(arguments[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
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

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LabException($"cannot start `{commandLine}`: {e.Message}", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        using var timer = new CancellationTokenSource(timeout ?? LabConstants.CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new LabException(
                $"`{commandLine}` did not finish within {(timeout ?? LabConstants.CommandTimeout).TotalSeconds} s; output: {await stdout.ConfigureAwait(false)} {await stderr.ConfigureAwait(false)}");
        }
        return new CommandResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Runs a command and throws a <see cref="LabException"/> unless it exits with 0.</summary>
    public static async Task<CommandResult> RunCheckedAsync(IReadOnlyList<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var result = await RunAsync(arguments, standardInput, timeout).ConfigureAwait(false);
        return result.EnsureSuccess();
    }
}
