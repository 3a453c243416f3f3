using System.Diagnostics;
using System.Net;
using Weft.Node.Dns;

namespace Weft.Node.Tests.Dns;

public sealed class ResolverConfigTests : IDisposable
{
    private const string Original = "# from the distribution\nnameserver 192.0.2.53\nsearch lan\noptions edns0\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("weft-resolv-").FullName;
    private readonly ListLogger<ResolverConfig> _logger = new();

    private string ResolvConf => Path.Combine(_directory, "resolv.conf");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Apply_PointsAtMagicDns_AndRestore_BringsBackTheOriginal()
    {
        File.WriteAllText(ResolvConf, Original);
        var config = new ResolverConfig(ResolvConf, _logger);

        config.Apply(IPAddress.Parse("100.100.100.100"), ["tail.example", "corp.example."]);

        var lines = File.ReadAllLines(ResolvConf);
        Assert.StartsWith("# Written by weft", lines[0], StringComparison.Ordinal);
        Assert.Contains("nameserver 100.100.100.100", lines);
        Assert.Contains("search tail.example corp.example", lines);
        Assert.DoesNotContain(lines, l => l.Contains("192.0.2.53", StringComparison.Ordinal));
        Assert.Equal(Original, File.ReadAllText(config.BackupPath));

        config.Restore();

        Assert.Equal(Original, File.ReadAllText(ResolvConf));
        Assert.False(File.Exists(config.BackupPath));
    }

    [Fact]
    public void Restore_IsIdempotent_AndHarmlessWithoutApply()
    {
        File.WriteAllText(ResolvConf, Original);
        var config = new ResolverConfig(ResolvConf, _logger);

        config.Restore();
        config.Apply(IPAddress.Parse("100.100.100.100"), []);
        config.Restore();
        config.Restore();

        Assert.Equal(Original, File.ReadAllText(ResolvConf));
    }

    [Fact]
    public void ApplyTwice_KeepsTheFirstBackup()
    {
        File.WriteAllText(ResolvConf, Original);
        var config = new ResolverConfig(ResolvConf, _logger);

        config.Apply(IPAddress.Parse("100.100.100.100"), ["a.example"]);
        config.Apply(IPAddress.Parse("100.100.100.100"), ["b.example"]);

        Assert.Contains("search b.example", File.ReadAllLines(ResolvConf));
        config.Restore();
        Assert.Equal(Original, File.ReadAllText(ResolvConf));
    }

    [Fact]
    public void LeftoverBackup_FromACrashedRun_IsRestoredByTheNextOne()
    {
        File.WriteAllText(ResolvConf, Original);
        new ResolverConfig(ResolvConf, _logger).Apply(IPAddress.Parse("100.100.100.100"), ["tail.example"]);
        // The daemon dies here without Restore; the next run starts with a fresh instance.

        var nextRun = new ResolverConfig(ResolvConf, _logger);
        nextRun.Apply(IPAddress.Parse("100.100.100.100"), ["tail.example"]);
        nextRun.Restore();

        Assert.Equal(Original, File.ReadAllText(ResolvConf));

        new ResolverConfig(ResolvConf, _logger).Apply(IPAddress.Parse("100.100.100.100"), []);
        new ResolverConfig(ResolvConf, _logger).Restore();
        Assert.Equal(Original, File.ReadAllText(ResolvConf));
    }

    [Fact]
    public void FileRewrittenBySomeoneElse_IsNotClobberedByTheOldBackup()
    {
        File.WriteAllText(ResolvConf, Original);
        var config = new ResolverConfig(ResolvConf, _logger);
        config.Apply(IPAddress.Parse("100.100.100.100"), []);
        const string Newer = "nameserver 198.51.100.1\n";
        File.WriteAllText(ResolvConf, Newer); // a DHCP client renews its lease

        config.Restore();

        Assert.Equal(Newer, File.ReadAllText(ResolvConf));
        Assert.False(File.Exists(config.BackupPath));
    }

    [Fact]
    public void StaleBackup_IsReplaced_WhenTheFileIsNoLongerOurs()
    {
        File.WriteAllText(ResolvConf, "nameserver 198.51.100.1\n");
        var config = new ResolverConfig(ResolvConf, _logger);
        File.WriteAllText(config.BackupPath, Original); // left from long ago; the file was rewritten since

        config.Apply(IPAddress.Parse("100.100.100.100"), []);
        config.Restore();

        Assert.Equal("nameserver 198.51.100.1\n", File.ReadAllText(ResolvConf));
    }

    [Fact]
    public void SearchDomains_ThatAreNotNames_CannotInjectLines()
    {
        File.WriteAllText(ResolvConf, Original);
        var config = new ResolverConfig(ResolvConf, _logger);

        config.Apply(IPAddress.Parse("100.100.100.100"), ["ok.example", "evil\nnameserver 203.0.113.6", "bad domain"]);

        var text = File.ReadAllText(ResolvConf);
        Assert.DoesNotContain("203.0.113.6", text, StringComparison.Ordinal);
        Assert.Contains("search ok.example\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SystemdResolvedStub_IsLeftAlone_AndSaysSo()
    {
        var stubDirectory = Directory.CreateDirectory(Path.Combine(_directory, "run", "systemd", "resolve")).FullName;
        var stub = Path.Combine(stubDirectory, "stub-resolv.conf");
        File.WriteAllText(stub, "nameserver 127.0.0.53\n");
        File.CreateSymbolicLink(ResolvConf, stub);
        var config = new ResolverConfig(ResolvConf, _logger);

        config.Apply(IPAddress.Parse("100.100.100.100"), ["tail.example"]);

        Assert.Equal("nameserver 127.0.0.53\n", File.ReadAllText(stub));
        Assert.NotNull(new FileInfo(ResolvConf).LinkTarget);
        Assert.False(File.Exists(config.BackupPath));
        Assert.Contains(_logger.Lines, l => l.Contains("systemd-resolved", StringComparison.Ordinal) && l.Contains("not supported", StringComparison.Ordinal));
    }

    [Fact]
    public void BindMountedFile_AsUnderIpNetnsExec_IsWrittenInPlace()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/mount"))
        {
            SkipUnlessRequired("bind-mounting a file needs Linux, root and mount(8)");
        }
        var source = Path.Combine(_directory, "netns-resolv.conf");
        File.WriteAllText(source, Original);
        File.WriteAllText(ResolvConf, "placeholder\n");
        Run("mount", "--bind", source, ResolvConf);
        try
        {
            var config = new ResolverConfig(ResolvConf, _logger);

            config.Apply(IPAddress.Parse("100.100.100.100"), ["tail.example"]);

            // Rename over a mount point fails (EBUSY); the write went through the mount to the source.
            Assert.Contains("nameserver 100.100.100.100", File.ReadAllLines(source));
            Assert.Contains("nameserver 100.100.100.100", File.ReadAllLines(ResolvConf));

            config.Restore();

            Assert.Equal(Original, File.ReadAllText(source));
        }
        finally
        {
            Run("umount", ResolvConf);
        }
    }

    private static void SkipUnlessRequired(string reason)
    {
        if (Environment.GetEnvironmentVariable("WEFT_REQUIRE_LAB") == "1")
        {
            Assert.Fail($"{reason} (WEFT_REQUIRE_LAB=1 makes this a failure)");
        }
        Assert.Skip(reason);
    }

    private static void Run(string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)}: {error}");
    }
}
