namespace Weft.Lab;

/// <summary>Finds the `weft` executable the tests run: WEFT_EXE if set, else the apphost copied next to the test assembly.</summary>
public static class WeftExecutable
{
    /// <summary>The path of `weft`; throws (a failure, never a skip) when it is not there.</summary>
    public static string Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(LabConstants.WeftExecutableVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new LabException($"{LabConstants.WeftExecutableVariable}={fromEnvironment} does not exist");
        }
        var nextToTests = Path.Combine(AppContext.BaseDirectory, "weft");
        return File.Exists(nextToTests)
            ? nextToTests
            : throw new LabException($"no `weft` executable in {AppContext.BaseDirectory}; does the test project reference src/Weft?");
    }
}
