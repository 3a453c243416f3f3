using System.CommandLine;
using Microsoft.Extensions.Logging;
using Weft.Node.Web;

namespace Weft;

/// <summary>`weft web [--listen 127.0.0.1:8088]`: serve this device's client UI in the browser, on loopback only.</summary>
internal static class WebCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = $"Loopback address and port to serve the page on (default {WebListen.Default}; never a public address)",
            DefaultValueFactory = _ => WebListen.Default,
        };
        var command = new Command("web", "Open this device's client UI in a browser (served on localhost; talks to the daemon's local API)") { listen };
        command.SetAction(async (parse, ct) =>
        {
            System.Net.IPEndPoint endpoint;
            try
            {
                endpoint = WebListen.Parse(parse.GetValue(listen)!);
            }
            catch (FormatException ex)
            {
                return NodeCli.Fail(ex.Message);
            }

            using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
            WebServer server;
            try
            {
                server = await WebServer.StartAsync(endpoint, parse.GetValue(NodeCli.Socket)!, loggers, ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Kestrel reports an address in use this way.
                return NodeCli.Fail($"cannot listen on {endpoint}: {ex.Message} (pick another port with --listen 127.0.0.1:PORT)");
            }

            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine($"Weft client UI: {server.Address}  (Ctrl+C to stop)");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: stop serving.
                }
            }

            return 0;
        });
        return command;
    }
}
