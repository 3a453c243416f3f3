using System.Diagnostics;
using System.Net;
using Weft.Console.Tests.Fixtures;
using Weft.Control.Hosting;

namespace Weft.Console.Tests.Auth;

/// <summary>`weft control accounts create-admin` as a person runs it: the real executable against a data dir, then a login with that password.</summary>
public sealed class AccountsCommandTests
{
    /// <summary>WEFT_EXE when set, else the `weft` built next to the tests.</summary>
    private static string Weft()
    {
        var path = Environment.GetEnvironmentVariable("WEFT_EXE") is { Length: > 0 } e ? e : Path.Combine(AppContext.BaseDirectory, "weft");
        Assert.True(File.Exists(path), $"no weft executable at {path}");
        return path;
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(Weft()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task CreateAdmin_ThenTheServerAcceptsThatPassword()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var passwordFile = dir.File("password");
        await File.WriteAllTextAsync(passwordFile, "correct horse battery staple\n", ct);
        var dataDir = Path.Combine(dir.Path, "data");

        var (exit, stdout, stderr) = await RunAsync(ct, "control", "accounts", "create-admin", "--email", "ops@example.com", "--password-file", passwordFile, "--data-dir", dataDir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("ops@example.com", stdout, StringComparison.Ordinal);

        await using var server = await ControlServer.StartAsync(new ControlServerOptions { DataDir = dataDir, Listen = "http://127.0.0.1:0" }, ct: ct);
        using var web = new WebSession(server.Address);
        var (response, _) = await web.PasswordLoginAsync("ops@example.com", "correct horse battery staple", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/admin/machines", response.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task CreateAdmin_ShortPassword_ExitsWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var passwordFile = dir.File("password");
        await File.WriteAllTextAsync(passwordFile, "short", ct);

        var (exit, _, stderr) = await RunAsync(ct, "control", "accounts", "create-admin", "--email", "ops@example.com", "--password-file", passwordFile, "--data-dir", dir.File("data"));
        Assert.Equal(2, exit);
        Assert.Contains("at least 12 characters", stderr, StringComparison.Ordinal);
    }
}
