using System.CommandLine;
using Microsoft.Extensions.Logging;
using Weft.Control.Hosting;

namespace Weft;

/// <summary>
/// `weft control [--config FILE] [--data-dir DIR] [--listen URL] [--postgres CONNSTRING] [--tls-cert FILE --tls-key FILE]
/// [--relay on|off] [--stun-port PORT]`: the coordination server, with an embedded relay and STUN responder by default.
/// Flags win over WEFT_CONTROL_* variables, which win over the config file.
/// </summary>
internal static class ControlCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "JSON config file (fields: dataDir, listen, publicUrl, postgres, tlsCert, tlsKey, ephemeralTimeoutSeconds, registerBurst, registerPerMinute, latestClientVersion, relays)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the database and the server key (default ./weft-control)" };
        var listen = new Option<string?>("--listen") { Description = "URL to listen on, such as http://0.0.0.0:8080 (default http://127.0.0.1:8080)" };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL nodes and admins reach this server at (login links, and the embedded relay's URL in the relay map)" };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string (replicas share it); default is SQLite in the data dir" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate file for https" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key file for https" };
        var relay = new Option<string?>("--relay") { Description = "Run the embedded relay on this server's listener: on or off (default on)" };
        var latestClient = new Option<string?>("--latest-client-version") { Description = "Newest client version to announce to nodes (`weft version` then says an upgrade exists)" };
        var stunPort = new Option<int?>("--stun-port") { Description = "UDP port of the embedded STUN responder, 0 for none (default 3478)" };
        var command = new Command("control", "Run the coordination server")
        {
            config,
            dataDir,
            listen,
            publicUrl,
            postgres,
            tlsCert,
            tlsKey,
            relay,
            stunPort,
            latestClient,
        };

        // Admin commands: clients of the REST API, not the server.
        command.Subcommands.Add(ControlUsersCommand.Create());
        command.Subcommands.Add(ControlNodesCommand.Create());
        command.Subcommands.Add(ControlKeysCommand.Create());
        command.Subcommands.Add(ControlPolicyCommand.Create());
        command.Subcommands.Add(ControlDnsCommand.Create());
        command.Subcommands.Add(ControlTailnetCommand.Create());
        command.Subcommands.Add(ControlRelayMapCommand.Create());
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
                    o.Relays.Embedded = parse.GetValue(relay) is { } onOff ? ControlConfiguration.OnOff("--relay", onOff) : o.Relays.Embedded;
                    o.Relays.StunPort = parse.GetValue(stunPort) ?? o.Relays.StunPort;
                    o.LatestClientVersion = parse.GetValue(latestClient) ?? o.LatestClientVersion;
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
            if (server.Relay is { } embedded)
            {
                var stun = server.Stun is { } s ? $"STUN on UDP {s.LocalEndPoint.Port}" : "no STUN";
                Console.Error.WriteLine($"embedded relay on the same listener (relay key {embedded.Server.PublicKey.ToHex()}), {stun}");
            }

            await server.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
