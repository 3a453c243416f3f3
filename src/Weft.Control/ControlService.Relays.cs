using System.Text.Json;
using Weft.Control.Map;
using Weft.Control.Relays;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control;

/// <summary>
/// The relay map nodes get: built from the <c>relays</c> config and the embedded relay, unless an admin stored an
/// override in the database (shared by every replica). A change reaches every connected node of every tailnet at
/// once as a map delta carrying the new relay map.
/// </summary>
public sealed partial class ControlService
{
    /// <summary>_relayGate serialises changes of the fields below (set at start, by an admin, or by another replica).</summary>
    private readonly SemaphoreSlim _relayGate = new(1, 1);
    private RelaySettings _relaySettings = new() { Embedded = false };
    private RelayNode? _embeddedRelay;
    private RelayMapOverride? _relayOverride;

    /// <summary>The map in force; read without the gate (a reference swap), null until the server started its relays.</summary>
    private RelayMap? _relayMap;

    /// <summary>The relay map nodes get now (null before the server has started, in tests without one).</summary>
    public RelayMap? RelayMap => Volatile.Read(ref _relayMap);

    /// <summary>The relay map override in force, or null when the config file's regions apply.</summary>
    public RelayMapOverride? RelayMapOverride => Volatile.Read(ref _relayOverride);

    /// <summary>The embedded relay's region id when this server runs one (no region of an override may take it), else null.</summary>
    public int? EmbeddedRelayRegionId => _embeddedRelay is null ? null : _relaySettings.RegionId;

    /// <summary>
    /// What an admin edits: the override in force, or the config file's regions as an override would state them.
    /// Indented JSON, ready for a text area; <see cref="SetRelayMapJsonAsync"/> takes it back.
    /// </summary>
    public string RelayMapJson() => EditableRelayMap().ToIndentedJson();

    /// <summary>The override in force, or the config file's regions as an override would state them.</summary>
    public RelayMapOverride EditableRelayMap() => RelayMapOverride ?? new RelayMapOverride { Embedded = true, Regions = _relaySettings.Regions };

    /// <summary>
    /// Validates and stores a relay map override (null goes back to the config file's regions), then sends the new relay
    /// map to every connected node. Returns the problems, each naming its region and relay, or an empty list when saved.
    /// </summary>
    public async Task<IReadOnlyList<string>> SetRelayMapAsync(RelayMapOverride? value, CancellationToken ct = default)
    {
        if (value is not null)
        {
            var problems = RelayMapFactory.Problems(value, EmbeddedRelayRegionId);
            if (problems.Count > 0)
            {
                return problems;
            }
        }

        // Under the gate from the write to the maps: two admins saving at once leave the maps with what the store kept last.
        await _relayGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await Store.SetRelayMapAsync(value?.ToJson(), Time.GetUtcNow(), ct).ConfigureAwait(false);
            await ApplyRelayOverrideLockedAsync(value, ct).ConfigureAwait(false);
        }
        finally
        {
            _relayGate.Release();
        }

        await PublishAsync(new Change(ChangeKind.RelayMap, 0), ct).ConfigureAwait(false);
        LogRelayMapChanged(_logger, value is null ? "config" : "database", RelayMap?.Regions.Count ?? 0);
        return [];
    }

    /// <summary>As <see cref="SetRelayMapAsync"/>, from JSON text (what <see cref="RelayMapJson"/> gives); text that is not such JSON is one problem.</summary>
    public async Task<IReadOnlyList<string>> SetRelayMapJsonAsync(string json, CancellationToken ct = default)
    {
        RelayMapOverride value;
        try
        {
            value = RelayMapOverride.FromJson(json);
        }
        catch (JsonException ex)
        {
            return [$"the relay map is not valid JSON of the expected shape: {ex.Message}"];
        }

        return await SetRelayMapAsync(value, ct).ConfigureAwait(false);
    }

    /// <summary>Called once by the server when its relays run: the config and the embedded relay, then the stored override on top.</summary>
    internal async Task StartRelayMapAsync(RelaySettings settings, RelayNode? embedded, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await _relayGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _relaySettings = settings;
            _embeddedRelay = embedded;
        }
        finally
        {
            _relayGate.Release();
        }

        await ReloadRelayMapAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads the override from the store again (another replica changed it, or the feed had a gap).</summary>
    internal async Task ReloadRelayMapAsync(CancellationToken ct)
    {
        await _relayGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var json = await Store.GetRelayMapAsync(ct).ConfigureAwait(false);
            if (json == RelayMapOverride?.ToJson() && RelayMap is not null)
            {
                // Unchanged (a resync after a gap that missed nothing here): nodes need no delta.
                return;
            }

            RelayMapOverride? value = null;
            if (json is not null)
            {
                try
                {
                    value = RelayMapOverride.FromJson(json);
                }
                catch (JsonException ex)
                {
                    // Only servers write it, validated; should it ever not parse, the config's map is the safe one.
                    LogStoredRelayMapBad(_logger, ex.Message);
                }
            }

            await ApplyRelayOverrideLockedAsync(value, ct).ConfigureAwait(false);
        }
        finally
        {
            _relayGate.Release();
        }
    }

    /// <summary>Builds the map with <paramref name="value"/> and hands it to every loaded tailnet map, which tell their sessions. Caller holds _relayGate.</summary>
    private async Task ApplyRelayOverrideLockedAsync(RelayMapOverride? value, CancellationToken ct)
    {
        var map = RelayMapFactory.Build(_relaySettings, _embeddedRelay, value);
        Volatile.Write(ref _relayOverride, value);

        // Under the load gate: a tailnet map being loaded right now reads the new map, or is in _maps and gets it below.
        await _loadGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _relayMap, map);
            foreach (var tailnetMap in _maps.Values)
            {
                tailnetMap.SetRelayMap(map, announce: true);
            }
        }
        finally
        {
            _loadGate.Release();
        }
    }

    /// <summary>Gives a tailnet map being loaded the relay map in force; the caller holds _loadGate.</summary>
    private void InitRelayMap(TailnetMap map)
    {
        if (Volatile.Read(ref _relayMap) is { } relays)
        {
            map.SetRelayMap(relays, announce: false);
        }
    }
}
