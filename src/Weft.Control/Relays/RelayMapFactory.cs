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
        if (relay is null)
        {
            throw new InvalidDataException($"{field} must be an object, not null");
        }

        if (!Uri.TryCreate(relay.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidDataException($"{field}.url '{relay.Url}' is not an http:// or https:// URL");
        }

        // Fields left out of the config file read as null (init-only defaults do not survive deserialisation): the defaults.
        if (relay.PublicKey is { Length: > 0 } && !Key32.TryParseHex(relay.PublicKey, out _))
        {
            throw new InvalidDataException($"{field}.publicKey must be the relay's key as 64 hex digits (or empty to fetch it), not '{relay.PublicKey}'");
        }

        if (relay.StunPort is < 0 or > 65535)
        {
            throw new InvalidDataException($"{field}.stunPort must be between 0 (no STUN) and 65535, not {relay.StunPort}");
        }

        if (relay.StunHost is { Length: > 0 } && Uri.CheckHostName(relay.StunHost) == UriHostNameType.Unknown)
        {
            throw new InvalidDataException($"{field}.stunHost '{relay.StunHost}' is not a host name or address");
        }
    }
}
