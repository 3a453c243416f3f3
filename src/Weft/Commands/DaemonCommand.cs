using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Weft.Node;

namespace Weft;

/// <summary>
/// `weft daemon --state-dir DIR [--socket PATH] [--tun NAME] [--port N] [--operator USER] [--verbose]`:
/// the node daemon (keys, control client, WireGuard engine, local API). Runs until SIGTERM or SIGINT,
/// then removes what it added to the system.
/// </summary>
internal static class DaemonCommand
{
    /// <summary>Printed to stderr once the local API answers; scripts and the lab wait for it.</summary>
    public const string ReadyLine = "weft daemon ready";

    public static Command Create()
    {
        var stateDir = new Option<string>("--state-dir") { Description = "Directory for keys, preferences and the cached netmap (created 0700)", Required = true };
        var tun = new Option<string>("--tun") { Description = "Name of the TUN interface (default weft0)", DefaultValueFactory = _ => "weft0" };
        var port = new Option<int>("--port") { Description = "WireGuard UDP port, 0 for any free one (default 41641)", DefaultValueFactory = _ => NodeConstants.DefaultPort };
        var operatorUser = new Option<string?>("--operator") { Description = "A local user allowed to use the local API besides root" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log debug detail" };
        var command = new Command("daemon", "Run the node daemon: join a tailnet and carry its traffic (needs root for the TUN)")
        {
            stateDir,
            tun,
            port,
            operatorUser,
            verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var portValue = parse.GetValue(port);
            if (portValue is < 0 or > ushort.MaxValue)
            {
                await Console.Error.WriteLineAsync($"weft daemon: --port {portValue} is not a UDP port (0 to 65535)").ConfigureAwait(false);
                return 2;
            }
            var options = new DaemonOptions
            {
                StateDir = parse.GetValue(stateDir)!,
                SocketPath = parse.GetValue(NodeCli.Socket)!,
                TunName = parse.GetValue(tun)!,
                Port = (ushort)portValue,
                OperatorUser = parse.GetValue(operatorUser),
            };
            using var loggers = LoggerFactory.Create(builder =>
            {
                builder.SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss.fff ";
                });
            });
            return await RunAsync(options, loggers, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(DaemonOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        Daemon daemon;
        try
        {
            daemon = new Daemon(options, loggers);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"weft daemon: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        await using (daemon.ConfigureAwait(false))
        {
            try
            {
                await daemon.StartAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
            {
                await Console.Error.WriteLineAsync($"weft daemon: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return 0;
            }
            await Console.Error.WriteLineAsync($"{ReadyLine}: local API on {options.SocketPath}, TUN {options.TunName}").ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        return 0;

        void Stop(PosixSignalContext context)
        {
            // Cleanup (DNS restore, TUN removal) runs in the normal shutdown path, not in the signal handler.
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
