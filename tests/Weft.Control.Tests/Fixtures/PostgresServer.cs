using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

[assembly: AssemblyFixture(typeof(Weft.Control.Tests.Fixtures.PostgresServer))]

namespace Weft.Control.Tests.Fixtures;

/// <summary>
/// A throwaway PostgreSQL server from the distribution's binaries, shared by every test of the assembly:
/// started on first use (initdb into a fresh temporary directory, listening on 127.0.0.1 only with its
/// socket in that directory), one empty database per caller, stopped and deleted when the assembly's
/// tests end, pass or fail. Where it cannot start, tests are skipped, or failed under WEFT_REQUIRE_LAB=1.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Where Debian installs the server binaries, one folder per major version.</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>The version Debian 12 ships; any other installed version is used when it is missing.</summary>
    private const string PreferredVersion = "15";

    /// <summary>The account that owns the cluster when the tests run as root (PostgreSQL refuses to run as root).</summary>
    private const string ServiceAccount = "postgres";

    private const string Superuser = "weft_test";

    /// <summary>Environment variable naming another folder holding initdb and pg_ctl.</summary>
    private const string BinVariable = "WEFT_PG_BIN";

    /// <summary>Ports tried before giving up when another process takes the free port first.</summary>
    private const int StartAttempts = 3;

    /// <summary>_gate guards the fields below and serialises starting and stopping.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _startTried;
    private string? _unavailable;
    private string? _directory;
    private string? _binDirectory;
    private string? _adminConnectionString;
    private string _password = "";
    private int _port;

    /// <summary>
    /// Creates an empty database and returns a connection string for it over TCP on loopback; starts the
    /// server the first time. Skips the calling test (or fails it under WEFT_REQUIRE_LAB=1) when the
    /// server cannot run here.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken ct)
    {
        var (admin, unavailable) = await EnsureStartedAsync(ct).ConfigureAwait(false);
        if (admin is null)
        {
            SkipOrFail(unavailable ?? "PostgreSQL is unavailable");
        }

        var name = "weft_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        return new NpgsqlConnectionStringBuilder(admin!) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database a connection string from <see cref="CreateDatabaseAsync"/> names, closing any connection still on it.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        string? admin;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            admin = _unavailable is null && _directory is not null ? _adminConnectionString : null;
        }
        finally
        {
            _gate.Release();
        }

        if (admin is null || name is null)
        {
            return;
        }

        // FORCE closes connections a test's stores may still pool, without touching other tests' databases.
        await using var c = new NpgsqlConnection(admin);
        await c.OpenAsync().ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Skips the test with <paramref name="reason"/>, or fails it when WEFT_REQUIRE_LAB=1 demands every lab dependency.</summary>
    public static void SkipOrFail(string reason)
    {
        if (Environment.GetEnvironmentVariable("WEFT_REQUIRE_LAB") == "1")
        {
            Assert.Fail($"PostgreSQL required (WEFT_REQUIRE_LAB=1) but {reason}");
        }

        Assert.Skip(reason);
    }

    /// <summary>The admin connection string, or null and why the server cannot run.</summary>
    private async Task<(string? Admin, string? Unavailable)> EnsureStartedAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_startTried)
            {
                _startTried = true;
                try
                {
                    await StartAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or NpgsqlException)
                {
                    _unavailable = $"PostgreSQL could not start: {e.Message}{LogTail()}";
                    await StopAndDeleteAsync().ConfigureAwait(false);
                }
            }

            return (_unavailable is null ? _adminConnectionString : null, _unavailable);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Caller holds _gate.</summary>
    private async Task StartAsync(CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
        {
            _unavailable = "the PostgreSQL fixture runs on Linux only";
            return;
        }

        _binDirectory = FindBinDirectory();
        if (_binDirectory is null)
        {
            _unavailable = $"no PostgreSQL server binaries under {DebianRoot} or {BinVariable} (apt-get install postgresql)";
            return;
        }

        _directory = Path.Combine(Path.GetTempPath(), "weft-pg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", [ServiceAccount + ":", _directory], asService: false, ct).ConfigureAwait(false);
        }

        // A random password for TCP logins: the server listens on a loopback port any local user could reach.
        _password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var passwordFile = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(passwordFile, _password + "\n", ct).ConfigureAwait(false);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", [ServiceAccount + ":", passwordFile], asService: false, ct).ConfigureAwait(false);
        }

        var data = Path.Combine(_directory, "data");
        await RunAsync(Path.Combine(_binDirectory, "initdb"),
            ["-D", data, "-U", Superuser, "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
            asService: true, ct).ConfigureAwait(false);
        File.Delete(passwordFile);

        for (var attempt = 1; ; attempt++)
        {
            _port = FreeLoopbackPort();

            // Later lines win in postgresql.conf. Durability is pointless for a throwaway cluster.
            await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"),
                $"""

                listen_addresses = '127.0.0.1'
                port = {_port}
                unix_socket_directories = '{_directory}'
                max_connections = 200
                fsync = off
                synchronous_commit = off
                full_page_writes = off

                """, ct).ConfigureAwait(false);
            try
            {
                await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", data, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60", "start"], asService: true, ct).ConfigureAwait(false);
                break;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts)
            {
                // Most likely another process took the port between probing and binding; try another.
            }
        }

        _adminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = IPAddress.Loopback.ToString(),
            Port = _port,
            Username = Superuser,
            Password = _password,
            Database = "postgres",
        }.ConnectionString;
    }

    /// <summary>The end of the server's log, for the reason a start failed. Caller holds _gate.</summary>
    private string LogTail()
    {
        var log = _directory is null ? null : Path.Combine(_directory, "server.log");
        if (log is null || !File.Exists(log))
        {
            return "";
        }

        var text = File.ReadAllText(log).Trim();
        return "; server log: " + (text.Length > 600 ? text[^600..] : text);
    }

    private static string? FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } chosen)
        {
            return File.Exists(Path.Combine(chosen, "initdb")) && File.Exists(Path.Combine(chosen, "pg_ctl")) ? chosen : null;
        }

        var preferred = Path.Combine(DebianRoot, PreferredVersion, "bin");
        if (File.Exists(Path.Combine(preferred, "initdb")) && File.Exists(Path.Combine(preferred, "pg_ctl")))
        {
            return preferred;
        }

        if (!Directory.Exists(DebianRoot))
        {
            return null;
        }

        string? best = null;
        foreach (var dir in Directory.GetDirectories(DebianRoot))
        {
            var bin = Path.Combine(dir, "bin");
            if (File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")) && (best is null || string.CompareOrdinal(bin, best) > 0))
            {
                best = bin;
            }
        }

        return best;
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Runs a tool to completion (as the service account when root and <paramref name="asService"/>); throws with its output when it fails.</summary>
    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asService, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asService && Environment.IsPrivilegedProcess)
        {
            psi.FileName = "runuser";
            foreach (var a in (string[])["-u", ServiceAccount, "--", file])
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi.FileName = file;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {process.ExitCode}: {output.Trim()}");
        }
    }

    /// <summary>Caller holds _gate (or the assembly's tests are over).</summary>
    private async Task StopAndDeleteAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_directory is null)
        {
            return;
        }

        var data = Path.Combine(_directory, "data");
        if (_binDirectory is not null && File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            try
            {
                // Immediate: the data is thrown away next, so nothing needs a clean checkpoint.
                await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], asService: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Already stopped; deleting the directory is all that is left.
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left behind under the temp folder; nothing else refers to it.
        }

        _directory = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopAndDeleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }
}
