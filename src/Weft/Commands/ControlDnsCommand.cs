using System.CommandLine;
using Spectre.Console;
using Weft.Control.Storage;

namespace Weft;

/// <summary>
/// `weft control dns get|nameservers|search|split|magicdns`: the tailnet's DNS settings. Each setter reads the
/// current settings, replaces one part and saves the whole, so the other parts stay as they were.
/// </summary>
internal static class ControlDnsCommand
{
    public static Command Create()
    {
        var get = new Command("get", "Show the tailnet's DNS settings");
        get.SetAction((parse, ct) => ControlAdmin.RunAsync(parse, ct, async (api, c) => Print(await api.GetDnsAsync(c).ConfigureAwait(false))));

        var servers = new Argument<string[]>("address") { Description = "Nameserver IP addresses (none clears them)", Arity = ArgumentArity.ZeroOrMore };
        var nameservers = new Command("nameservers", "Set the global nameservers nodes use") { servers };
        nameservers.SetAction((parse, ct) => ChangeAsync(parse, ct, d => d with { Nameservers = parse.GetValue(servers) ?? [] }));

        var domains = new Argument<string[]>("domain") { Description = "Search domains (none clears them)", Arity = ArgumentArity.ZeroOrMore };
        var search = new Command("search", "Set the search domains nodes use") { domains };
        search.SetAction((parse, ct) => ChangeAsync(parse, ct, d => d with { SearchPaths = parse.GetValue(domains) ?? [] }));

        var suffix = new Argument<string>("domain") { Description = "Domain whose names go to these nameservers" };
        var splitServers = new Argument<string[]>("address") { Description = "Nameserver IP addresses for the domain (none removes the domain)", Arity = ArgumentArity.ZeroOrMore };
        var split = new Command("split", "Send one domain's queries to its own nameservers (split DNS)") { suffix, splitServers };
        split.SetAction((parse, ct) => ChangeAsync(parse, ct, d =>
        {
            var routes = new Dictionary<string, IReadOnlyList<string>>(d.SplitDns, StringComparer.OrdinalIgnoreCase);
            var addresses = parse.GetValue(splitServers) ?? [];
            if (addresses.Length == 0)
            {
                routes.Remove(parse.GetValue(suffix)!);
            }
            else
            {
                routes[parse.GetValue(suffix)!] = addresses;
            }

            return d with { SplitDns = routes };
        }));

        var state = new Argument<string>("state") { Description = "on or off" };
        state.AcceptOnlyFromAmong("on", "off");
        var magic = new Command("magicdns", "Turn MagicDNS (names of tailnet devices) on or off") { state };
        magic.SetAction((parse, ct) => ChangeAsync(parse, ct, d => d with { MagicDns = parse.GetValue(state) == "on" }));

        return ControlAdmin.Group("dns", "The tailnet's DNS settings (needs an API key)", get, nameservers, search, split, magic);
    }

    private static Task<int> ChangeAsync(ParseResult parse, CancellationToken ct, Func<DnsSettings, DnsSettings> change) =>
        ControlAdmin.RunAsync(parse, ct, async (api, c) =>
        {
            var current = await api.GetDnsAsync(c).ConfigureAwait(false);
            Print(await api.SetDnsAsync(change(current), c).ConfigureAwait(false));
        });

    private static void Print(DnsSettings dns)
    {
        var table = ControlAdmin.Table("Setting", "Value");
        ControlAdmin.Row(table, "MagicDNS", dns.MagicDns ? "on" : "off");
        ControlAdmin.Row(table, "Nameservers", dns.Nameservers.Count == 0 ? "(none)" : string.Join(", ", dns.Nameservers));
        ControlAdmin.Row(table, "Search domains", dns.SearchPaths.Count == 0 ? "(none)" : string.Join(", ", dns.SearchPaths));
        foreach (var (domain, servers) in dns.SplitDns.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ControlAdmin.Row(table, $"Split DNS {domain}", string.Join(", ", servers));
        }

        AnsiConsole.Write(table);
    }
}
