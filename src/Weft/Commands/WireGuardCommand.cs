using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Weft.WireGuard;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Tun;
using Weft.WireGuard.Uapi;

namespace Weft;

/// <summary>
/// `weft wireguard [-f] IFACE`: a standalone userspace WireGuard interface configured with `wg`,
/// a drop-in for wireguard-go (same command line, same UAPI socket, same environment variables).
/// </summary>
internal static class WireGuardCommand
{
    /// <summary>Set in the background child so it knows it was started by the foreground parent.</summary>
    private const string DaemonizedVariable = "WEFT_WIREGUARD_DAEMONIZED";

    /// <summary>Where wg looks for interface sockets.</summary>
    private const string UapiDirectory = "/var/run/wireguard";

    public static Command Create()
    {
        var foreground = new Option<bool>("--foreground", "-f") { Description = "Stay in the foreground instead of running in the background" };
        var name = new Argument<string>("interface") { Description = "Name of the TUN interface to create, such as wg0" };
        var command = new Command("wireguard", "Run a userspace WireGuard interface configured by the wg tool (like wireguard-go)")
        {
            foreground,
            name,
        };
        command.SetAction(parse =>
        {
            var iface = parse.GetValue(name)!;
            var stayForeground = parse.GetValue(foreground) ||
                Environment.GetEnvironmentVariable("WG_PROCESS_FOREGROUND") == "1" ||
                Environment.GetEnvironmentVariable(DaemonizedVariable) == "1";
            return stayForeground ? RunForeground(iface) : StartBackground(iface);
        });
        return command;
    }

    /// <summary>
    /// Starts this executable again in the foreground as a detached child and returns once its UAPI
    /// socket exists (success) or it exits (failure), as wireguard-go's parent does.
    /// </summary>
    private static int StartBackground(string iface)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the weft executable to start in the background");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            // Like wireguard-go, the background process keeps the terminal only when LOG_LEVEL asks for logs;
            // otherwise nothing of it holds the caller's output open (so `$(weft wireguard wg0)` returns).
            RedirectStandardOutput = !LogsRequested(),
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // `dotnet weft.dll` runs: pass the assembly on.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(WireGuardCommand).Assembly.Location);
        }
        start.ArgumentList.Add("wireguard");
        start.ArgumentList.Add("--foreground");
        start.ArgumentList.Add(iface);
        start.Environment[DaemonizedVariable] = "1";
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the background process");
        child.StandardInput.Close();
        var errors = child.StandardError.ReadToEndAsync();
        var output = start.RedirectStandardOutput ? child.StandardOutput.ReadToEndAsync() : Task.FromResult("");
        // Ready once the UAPI socket exists (the child creates it last); failed if the child exits first.
        var socket = Path.Combine(UapiDirectory, iface + ".sock");
        while (!child.WaitForExit(TimeSpan.FromMilliseconds(20)))
        {
            if (File.Exists(socket))
            {
                return 0;
            }
        }
        Console.Error.Write(output.GetAwaiter().GetResult());
        Console.Error.Write(errors.GetAwaiter().GetResult());
        return child.ExitCode == 0 ? 1 : child.ExitCode;
    }

    private static int RunForeground(string iface)
    {
        var daemonized = Environment.GetEnvironmentVariable(DaemonizedVariable) == "1";
        if (daemonized)
        {
            _ = Interop.Libc.setsid();
        }
        using var loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevelFromEnvironment());
            if (!daemonized || LogsRequested())
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
                });
            }
        });
        var logger = loggerFactory.CreateLogger("weft.wireguard");

        LinuxTun tun;
        try
        {
            tun = LinuxTun.Create(iface, Constants.DefaultMtu, loggerFactory.CreateLogger<LinuxTun>());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"weft wireguard: cannot create TUN interface {iface}: {ex.Message}");
            return 1;
        }
        var bind = new LinuxBind(null, loggerFactory.CreateLogger<LinuxBind>());
        using var device = new Device(tun, bind, OptionsFromEnvironment(), loggerFactory.CreateLogger<Device>());
        UapiServer uapi;
        try
        {
            device.Start();
            uapi = UapiServer.Start(tun.Name, device, loggerFactory.CreateLogger<UapiServer>());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"weft wireguard: cannot start {iface}: {ex.Message}");
            return 1;
        }
        using (uapi)
        {
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            if (daemonized)
            {
                // The parent has gone once our socket exists: stop writing to its pipe.
                Console.SetError(TextWriter.Null);
            }
            try
            {
                device.Closed.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Interface {Interface} failed", iface);
                return 1;
            }
            logger.LogInformation("Shutting down {Interface}", iface);
        }
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            device.Dispose();
        }
    }

    /// <summary>Whether LOG_LEVEL asks a background process to keep writing logs to the terminal.</summary>
    private static bool LogsRequested() => Environment.GetEnvironmentVariable("LOG_LEVEL") is { Length: > 0 } level && level != "silent";

    private static LogLevel LogLevelFromEnvironment() =>
        Environment.GetEnvironmentVariable("LOG_LEVEL") switch
        {
            "verbose" or "debug" => LogLevel.Debug,
            "error" => LogLevel.Error,
            "silent" => LogLevel.None,
            _ => LogLevel.Information,
        };

    /// <summary>The engine's options; two test-only variables shorten timers and force cookie replies.</summary>
    private static DeviceOptions OptionsFromEnvironment()
    {
        var times = ProtocolTimes.Specification;
        if (double.TryParse(Environment.GetEnvironmentVariable("WEFT_TEST_TIME_SCALE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var scale))
        {
            times = times.Scale(scale);
        }
        var workers = int.TryParse(Environment.GetEnvironmentVariable("WEFT_CRYPTO_WORKERS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : new DeviceOptions().CryptoWorkers;
        return new DeviceOptions
        {
            Times = times,
            CryptoWorkers = workers,
            ForceUnderLoad = Environment.GetEnvironmentVariable("WEFT_TEST_UNDER_LOAD") == "1",
        };
    }
}
