namespace Weft.Lab;

/// <summary>The outcome of one finished command: its line, exit code and captured output.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>True when the command exited with status 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws a <see cref="LabException"/> naming the command and its output unless it succeeded.</summary>
    public CommandResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new LabException($"`{CommandLine}` exited with {ExitCode}: {StandardError.Trim()} {StandardOutput.Trim()}");
        }
        return this;
    }
}
