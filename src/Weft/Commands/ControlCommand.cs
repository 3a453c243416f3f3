using System.CommandLine;
using Microsoft.Extensions.Logging;
using Weft.Control.Hosting;

namespace Weft;

/// <summary>`weft control --data-dir DIR --listen ADDR`: the coordination server.</summary>
internal static class ControlCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the database and the server key", DefaultValueFactory = _ => "weft-control" };
        var listen = new Option<string>("--listen") { Description = "URL to listen on, such as http://0.0.0.0:8080", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL nodes and admins reach this server at (for login links)" };
        var command = new Command("control", "Run the coordination server")
        {
            dataDir,
            listen,
            publicUrl,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new ControlServerOptions
            {
                DataDir = parse.GetValue(dataDir)!,
                Listen = parse.GetValue(listen)!,
                PublicUrl = parse.GetValue(publicUrl),
            };
            await using var server = await ControlServer.StartAsync(options, logging => logging.AddSimpleConsole(o => o.SingleLine = true), ct: ct);
            Console.Error.WriteLine($"weft control listening on {server.Address} (server key {server.ServerPublic.ToHex()})");
            await server.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
