using System.Text.Json.Serialization;
using Weft.Core.Control;

namespace Weft.Control.Relays;

/// <summary>
/// The <c>relays</c> section of the control config: the relay embedded in `weft control` (on by default, with a
/// STUN responder) and the regions of external `weft relay` servers. Together they make the relay map every node gets.
/// </summary>
public sealed class RelaySettings
{
    /// <summary>Region id of the embedded relay by default: high, so hand-numbered external regions (1, 2, ...) do not collide.</summary>
    public const int DefaultRegionId = 900;

    /// <summary>Whether `weft control` runs a relay on its own listener (same port) and a STUN responder. Defaults to true (--relay on|off).</summary>
    [JsonPropertyName("embedded")]
    public bool Embedded { get; set; } = true;

    /// <summary>UDP port of the embedded STUN responder; 0 runs none. Defaults to 3478 (--stun-port).</summary>
    [JsonPropertyName("stunPort")]
    public int StunPort { get; set; } = Weft.Relay.RelayConstants.StunPort;

    /// <summary>Region id of the embedded relay. Defaults to 900.</summary>
    [JsonPropertyName("regionId")]
    public int RegionId { get; set; } = DefaultRegionId;

    /// <summary>Short region code of the embedded relay, shown by `weft status` and `weft netcheck`. Defaults to "default".</summary>
    [JsonPropertyName("regionCode")]
    public string RegionCode { get; set; } = "default";

    /// <summary>Display name of the embedded relay's region. Defaults to "Embedded".</summary>
    [JsonPropertyName("regionName")]
    public string RegionName { get; set; } = "Embedded";

    /// <summary>Regions of external relays (id, code, name, relays: url, publicKey, stunHost, stunPort). Defaults to none.</summary>
    [JsonPropertyName("regions")]
    public IReadOnlyList<RelayRegion> Regions { get; set; } = [];
}
