using System.CommandLine;
using Microsoft.Extensions.Logging;
using Weft.Relay.Hosting;

namespace Weft;

/// <summary>
/// `weft relay --listen URL [--data-dir DIR] [--stun-port 3478] [--mesh-key FILE] [--mesh-with URL,...] [--tls-cert FILE --tls-key FILE]`:
/// a relay for nodes that cannot reach each other directly, with a STUN responder beside it.
/// </summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "URL to listen on, such as https://0.0.0.0:443 (default http://127.0.0.1:8443)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the relay key (default ./weft-relay)" };
        var stunPort = new Option<int?>("--stun-port") { Description = "UDP port of the STUN responder (default 3478; 0 picks a free port)" };
        var noStun = new Option<bool>("--no-stun") { Description = "Run no STUN responder" };
        var meshKey = new Option<string?>("--mesh-key") { Description = "File with the region's mesh secret (mode 0600; the same on every relay of the region)" };
        var meshWith = new Option<string?>("--mesh-with") { Description = "Comma-separated URLs of the other relays of the region" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate file for https" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key file for https" };
        var rate = new Option<long?>("--client-rate") { Description = "Bytes per second one client may send (default 125000000, 1 Gbit/s)" };
        var command = new Command("relay", "Run a relay (and STUN responder) for nodes that cannot connect directly")
        {
            listen,
            dataDir,
            stunPort,
            noStun,
            meshKey,
            meshWith,
            tlsCert,
            tlsKey,
            rate,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new RelayHostOptions
            {
                Listen = parse.GetValue(listen) ?? "http://127.0.0.1:8443",
                DataDir = parse.GetValue(dataDir) ?? "weft-relay",
                StunPort = parse.GetValue(noStun) ? null : parse.GetValue(stunPort) ?? Weft.Relay.RelayConstants.StunPort,
                MeshKeyFile = parse.GetValue(meshKey),
                TlsCert = parse.GetValue(tlsCert),
                TlsKey = parse.GetValue(tlsKey),
            };
            if (parse.GetValue(rate) is { } bytesPerSecond)
            {
                options.Server.RateBytesPerSecond = bytesPerSecond;
            }

            foreach (var url in (parse.GetValue(meshWith) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    Console.Error.WriteLine($"weft relay: --mesh-with: {url} is not an http(s) URL");
                    return 2;
                }

                options.MeshWith.Add(uri);
            }

            RelayHost host;
            try
            {
                // Per-request logs of Kestrel would drown the relay's own; warnings still show.
                host = await RelayHost.StartAsync(options, logging => logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft.AspNetCore", LogLevel.Warning), ct);
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"weft relay: {ex.Message}");
                return 2;
            }
            catch (IOException ex)
            {
                // Kestrel reports a listen address in use this way.
                Console.Error.WriteLine($"weft relay: cannot listen: {ex.Message}");
                return 2;
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                Console.Error.WriteLine($"weft relay: cannot bind the STUN port: {ex.Message}");
                return 2;
            }

            await using var _ = host;
            var stun = host.Relay.Stun is { } s ? $", STUN on udp {s.LocalEndPoint.Port}" : "";
            Console.Error.WriteLine($"weft relay listening on {host.Address}{stun} (relay key {host.Relay.Server.PublicKey.ToHex()})");
            await host.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
