using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Weft.Node.LocalApi;

namespace Weft;

/// <summary>`weft netcheck`: how this node reaches the internet (UDP, public address, NAT kind, port mapping) and each relay region.</summary>
internal static class NetcheckCommand
{
    private static readonly JsonSerializerOptions Indented = new(LocalApiJsonContext.Default.Options) { WriteIndented = true };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("netcheck", "Report UDP reachability, public addresses, NAT kind, port mapping and relay latency") { json };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var report = await api.NetcheckAsync(c).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Indented.GetTypeInfo(typeof(NetcheckResponse))));
                return 0;
            }
            Console.WriteLine("Report:");
            Console.WriteLine($"  * UDP: {YesNo(report.Udp)}");
            Console.WriteLine($"  * IPv4: {(report.PublicIPv4 is { } v4 ? $"yes, {v4}" : "no")}");
            Console.WriteLine($"  * IPv6: {(report.PublicIPv6 is { } v6 ? $"yes, {v6}" : "no")}");
            Console.WriteLine($"  * MappingVariesByDestIP: {(report.MappingVariesByDestination is { } varies ? YesNo(varies) + (varies ? " (hard NAT)" : "") : "unknown")}");
            Console.WriteLine($"  * PortMapping: {(report.PortMappingServices.Count > 0 ? string.Join(", ", report.PortMappingServices) : "none")}"
                + (report.PortMapping is { } mapping ? $" (mapped: {mapping})" : ""));
            Console.WriteLine($"  * Nearest relay: {report.PreferredRegion ?? "none answered"}");
            Console.WriteLine($"  * Home relay: {(report.HomeRelay.Length > 0 ? report.HomeRelay : "none")} ({(report.HomeRelayConnected ? "connected" : "not connected")})");
            Console.WriteLine("  * Relay latency:");
            foreach (var (region, ms) in report.RegionLatencyMs.OrderBy(r => r.Value))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    - {region}: {ms:0.##}ms"));
            }
            Console.WriteLine($"  * Endpoints: {string.Join(", ", report.Endpoints)}");
            var nonzero = report.Counters.Where(c => c.Value != 0).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}")).ToList();
            Console.WriteLine($"  * Counters: {(nonzero.Count > 0 ? string.Join(", ", nonzero) : "all zero")}");
            return 0;
        }));
        return command;
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}
