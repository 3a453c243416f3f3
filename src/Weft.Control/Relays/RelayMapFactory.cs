using Weft.Core.Control;
using Weft.Core.Crypto;

namespace Weft.Control.Relays;

/// <summary>
/// Checks the <c>relays</c> config section and turns it, plus the embedded relay once it runs, into the
/// <see cref="RelayMap"/> sent in every full map. Errors name the field, so a typo is found at start, not by a node.
/// </summary>
public static class RelayMapFactory
{
    /// <summary>Throws on the first bad field of <paramref name="settings"/>.</summary>
    /// <exception cref="InvalidDataException">The message names the field (relays.regions[1].relays[0].url, say) and the value.</exception>
    public static void Validate(RelaySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.StunPort is < 0 or > 65535)
        {
            throw new InvalidDataException($"relays.stunPort (--stun-port) must be between 0 (no STUN) and 65535, not {settings.StunPort}");
        }

        var ids = new HashSet<int>();
        var codes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (settings.Embedded)
        {
            CheckRegionHeader("relays.regionId", "relays.regionCode", settings.RegionId, settings.RegionCode, ids, codes);
        }

        var regions = settings.Regions ?? throw new InvalidDataException("relays.regions must be a list, not null");
        for (var r = 0; r < regions.Count; r++)
        {
            var field = $"relays.regions[{r}]";
            var region = regions[r] ?? throw new InvalidDataException($"{field} must be an object, not null");
            CheckRegionHeader($"{field}.id", $"{field}.code", region.Id, region.Code, ids, codes);
            if (region.Relays is not { Count: > 0 })
            {
                throw new InvalidDataException($"{field}.relays must list at least one relay of region '{region.Code}'");
            }

            for (var i = 0; i < region.Relays.Count; i++)
            {
                CheckRelay($"{field}.relays[{i}]", region.Relays[i]);
            }
        }
    }

    /// <summary>
    /// The relay map: the embedded relay's region first (when <paramref name="embedded"/> is given), then the configured
    /// external regions as they are.
    /// </summary>
    public static RelayMap Build(RelaySettings settings, RelayNode? embedded)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var regions = new List<RelayRegion>(settings.Regions.Count + 1);
        if (embedded is not null)
        {
            regions.Add(new RelayRegion { Id = settings.RegionId, Code = settings.RegionCode, Name = settings.RegionName, Relays = [embedded] });
        }

        foreach (var region in settings.Regions)
        {
            // Omitted optional fields read as null from the config file; nodes get the documented empty defaults.
            var relays = region.Relays.Select(r => r with { PublicKey = r.PublicKey ?? "", StunHost = r.StunHost ?? "" }).ToArray();
            regions.Add(region with { Name = region.Name ?? "", Relays = relays });
        }

        return new RelayMap { Regions = regions };
    }

    private static void CheckRegionHeader(string idField, string codeField, int id, string? code, HashSet<int> ids, HashSet<string> codes)
    {
        if (id <= 0)
        {
            throw new InvalidDataException($"{idField} must be a positive number, not {id}");
        }

        if (!ids.Add(id))
        {
            throw new InvalidDataException($"{idField} {id} is used by another region (the embedded relay's is relays.regionId, default {RelaySettings.DefaultRegionId})");
        }

        if (string.IsNullOrWhiteSpace(code))
        {
            throw new InvalidDataException($"{codeField} must not be empty");
        }

        if (!codes.Add(code))
        {
            throw new InvalidDataException($"{codeField} '{code}' is used by another region");
        }
    }

    private static void CheckRelay(string field, RelayNode? relay)
    {
        if (RelayProblem(relay) is { } problem)
        {
            throw new InvalidDataException($"{field}{problem}");
        }
    }

    /// <summary>What is wrong with a relay entry, written to follow the entry's name (".url 'x' is not ..."), or null.</summary>
    private static string? RelayProblem(RelayNode? relay)
    {
        if (relay is null)
        {
            return " must be an object, not null";
        }

        if (!Uri.TryCreate(relay.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return $".url '{relay.Url}' is not an absolute http:// or https:// URL";
        }

        // Fields left out of the config file read as null (init-only defaults do not survive deserialisation): the defaults.
        if (relay.PublicKey is { Length: > 0 } && !Key32.TryParseHex(relay.PublicKey, out _))
        {
            return $".publicKey must be the relay's key as 64 hex digits (or empty to fetch it), not '{relay.PublicKey}'";
        }

        if (relay.StunPort is < 0 or > 65535)
        {
            return $".stunPort must be between 0 (no STUN) and 65535, not {relay.StunPort}";
        }

        if (relay.StunHost is { Length: > 0 } && Uri.CheckHostName(relay.StunHost) == UriHostNameType.Unknown)
        {
            return $".stunHost '{relay.StunHost}' is not a host name or address";
        }

        return null;
    }

    /// <summary>
    /// Every problem of a relay map override, each naming the region (by position, id and code) and relay it is in;
    /// empty when the override is usable. <paramref name="embeddedRegionId"/> is the embedded relay's region id when
    /// the server runs one and the override keeps it: no other region may take that id.
    /// </summary>
    public static IReadOnlyList<string> Problems(RelayMapOverride value, int? embeddedRegionId)
    {
        ArgumentNullException.ThrowIfNull(value);
        var problems = new List<string>();
        if (value.Regions is null)
        {
            problems.Add("regions must be a list, not null");
            return problems;
        }

        var keepsEmbedded = value.Embedded && embeddedRegionId is not null;
        if (value.Regions.Count == 0 && !keepsEmbedded)
        {
            problems.Add("the relay map needs at least one region: without relays, nodes that cannot reach each other directly cannot talk at all");
        }

        var ids = new Dictionary<int, int>();
        var codes = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var r = 0; r < value.Regions.Count; r++)
        {
            var region = value.Regions[r];
            if (region is null)
            {
                problems.Add($"regions[{r}] must be an object, not null");
                continue;
            }

            var name = $"regions[{r}] (id {region.Id}, code '{region.Code}')";
            if (region.Id <= 0)
            {
                problems.Add($"{name}: id must be a positive number");
            }
            else if (keepsEmbedded && region.Id == embeddedRegionId)
            {
                problems.Add($"{name}: id {region.Id} is the embedded relay's region; choose another id, or set \"embedded\": false");
            }
            else if (!ids.TryAdd(region.Id, r))
            {
                problems.Add($"{name}: id {region.Id} is used by regions[{ids[region.Id]}] too");
            }

            if (string.IsNullOrWhiteSpace(region.Code))
            {
                problems.Add($"{name}: code must not be empty");
            }
            else if (!codes.TryAdd(region.Code, r))
            {
                problems.Add($"{name}: code '{region.Code}' is used by regions[{codes[region.Code]}] too");
            }

            if (region.Relays is not { Count: > 0 })
            {
                problems.Add($"{name}: relays must list at least one relay");
                continue;
            }

            for (var i = 0; i < region.Relays.Count; i++)
            {
                if (RelayProblem(region.Relays[i]) is { } problem)
                {
                    problems.Add($"{name}: relays[{i}]{problem}");
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// The relay map with an override in force: the embedded relay's region first (when it runs and the override keeps
    /// it), then the override's regions, in place of the configured ones.
    /// </summary>
    public static RelayMap Build(RelaySettings settings, RelayNode? embedded, RelayMapOverride? value)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (value is null)
        {
            return Build(settings, embedded);
        }

        var regions = new RelaySettings
        {
            Embedded = settings.Embedded,
            RegionId = settings.RegionId,
            RegionCode = settings.RegionCode,
            RegionName = settings.RegionName,
            Regions = value.Regions ?? [],
        };
        return Build(regions, value.Embedded ? embedded : null);
    }
}
