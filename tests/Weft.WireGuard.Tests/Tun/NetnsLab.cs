using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Weft.WireGuard.Tests.Tun;

/// <summary>
/// A network namespace of our own for kernel tests (wft-&lt;random&gt;), deleted on Dispose even when the test
/// failed. Code runs inside it on a dedicated thread that called setns(2): descriptors created there (the
/// TUN fd, sockets) stay in the namespace whichever thread uses them later, while the rest of the test
/// process stays where it was.
/// </summary>
internal sealed class NetnsLab : IDisposable
{
    private NetnsLab(string name) => Name = name;

    public string Name { get; }

    /// <summary>Skips the test when the machine cannot run it, or fails it when WEFT_REQUIRE_LAB=1.</summary>
    public static void RequireLab()
    {
        string? missing = null;
        if (!OperatingSystem.IsLinux())
        {
            missing = "not Linux";
        }
        else if (TestLibc.geteuid() != 0)
        {
            missing = "not root";
        }
        else if (!File.Exists("/dev/net/tun"))
        {
            missing = "no /dev/net/tun";
        }
        else if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            missing = "no ip(8)";
        }
        if (missing is null)
        {
            return;
        }
        LabSkip.Because($"kernel lab unavailable: {missing}");
    }

    public static NetnsLab Create()
    {
        var lab = new NetnsLab($"wft-{Guid.NewGuid().ToString("N")[..10]}");
        _ = Ip("netns", "add", lab.Name);
        try
        {
            _ = lab.Exec("link", "set", "lo", "up");
        }
        catch
        {
            lab.Dispose();
            throw;
        }
        return lab;
    }

    /// <summary>Runs ip(8) with the given arguments inside this namespace.</summary>
    public string Exec(params string[] arguments) => Ip(["-n", Name, .. arguments]);

    /// <summary>Runs <paramref name="body"/> on a fresh thread inside the namespace and returns its result.</summary>
    public T Run<T>(Func<T> body)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/run/netns/{Name}");
                if (TestLibc.setns(handle, TestLibc.CLONE_NEWNET) != 0)
                {
                    throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                }
                result = body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"in namespace {Name}: {failure.Message}", failure);
        }
        return result;
    }

    public void Dispose()
    {
        try
        {
            _ = Ip("netns", "del", Name);
        }
        catch (InvalidOperationException)
        {
            // Already gone; nothing else to clean.
        }
    }

    private static string Ip(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ip(8)");
        var errorTask = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var error = errorTask.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()}");
        }
        return output;
    }
}
