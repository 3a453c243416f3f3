using System.CommandLine;
using Microsoft.Extensions.Logging;
using Weft.Control.Hosting;

namespace Weft;

/// <summary>
/// `weft control [--config FILE] [--data-dir DIR] [--listen URL] [--postgres CONNSTRING] [--tls-cert FILE --tls-key FILE]`:
/// the coordination server. Flags win over WEFT_CONTROL_* variables, which win over the config file.
/// </summary>
internal static class ControlCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "JSON config file (fields: dataDir, listen, publicUrl, postgres, tlsCert, tlsKey, ephemeralTimeoutSeconds, registerBurst, registerPerMinute)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the database and the server key (default ./weft-control)" };
        var listen = new Option<string?>("--listen") { Description = "URL to listen on, such as http://0.0.0.0:8080 (default http://127.0.0.1:8080)" };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL nodes and admins reach this server at (for login links)" };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string (replicas share it); default is SQLite in the data dir" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate file for https" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key file for https" };
        var command = new Command("control", "Run the coordination server")
        {
            config,
            dataDir,
            listen,
            publicUrl,
            postgres,
            tlsCert,
            tlsKey,
        };

        // Admin commands: clients of the REST API, not the server.
        command.Subcommands.Add(ControlUsersCommand.Create());
        command.Subcommands.Add(ControlNodesCommand.Create());
        command.Subcommands.Add(ControlKeysCommand.Create());
        command.Subcommands.Add(ControlPolicyCommand.Create());
        command.Subcommands.Add(ControlDnsCommand.Create());
        command.Subcommands.Add(ControlTailnetCommand.Create());
        command.Subcommands.Add(ControlAccountsCommand.Create());
        command.SetAction(async (parse, ct) =>
        {
            ControlServerOptions options;
            try
            {
                options = ControlConfiguration.Load(parse.GetValue(config), null, o =>
                {
                    o.DataDir = parse.GetValue(dataDir) ?? o.DataDir;
                    o.Listen = parse.GetValue(listen) ?? o.Listen;
                    o.PublicUrl = parse.GetValue(publicUrl) ?? o.PublicUrl;
                    o.Postgres = parse.GetValue(postgres) ?? o.Postgres;
                    o.TlsCert = parse.GetValue(tlsCert) ?? o.TlsCert;
                    o.TlsKey = parse.GetValue(tlsKey) ?? o.TlsKey;
                });
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"weft control: {ex.Message}");
                return 2;
            }

            ControlServer server;
            try
            {
                server = await ControlServer.StartAsync(options, logging => logging.AddSimpleConsole(o => o.SingleLine = true), ct: ct);
            }
            catch (InvalidDataException ex)
            {
                // Unreadable key or certificate files: one line naming the file, no stack trace.
                Console.Error.WriteLine($"weft control: {ex.Message}");
                return 2;
            }

            await using var _ = server;
            var storage = options.Postgres is null ? "SQLite" : "PostgreSQL";
            Console.Error.WriteLine($"weft control listening on {server.Address} with {storage} (server key {server.ServerPublic.ToHex()})");
            await server.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
