using System.Collections;
using Weft.Control.Hosting;
using Weft.Control.Relays;
using Weft.Core.Control;

namespace Weft.Control.Tests.Relays;

/// <summary>The relays section, --relay and --stun-port: defaults, layering, and errors that name the bad field.</summary>
public sealed class RelayConfigurationTests
{
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Defaults_EmbeddedRelayOnWithStunOn3478()
    {
        var o = ControlConfiguration.Load(null, new Hashtable(), null);

        Assert.True(o.Relays.Embedded);
        Assert.Equal(3478, o.Relays.StunPort);
        Assert.Equal("default", o.Relays.RegionCode);
        Assert.Equal("Embedded", o.Relays.RegionName);
        Assert.Empty(o.Relays.Regions);
    }

    [Fact]
    public void File_ExternalRegions_AreReadAndComeAfterTheEmbeddedOne()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), $$"""
            {
              "relays": {
                "regionCode": "home",
                "regions": [
                  { "id": 1, "code": "fra", "name": "Frankfurt",
                    "relays": [ { "url": "https://relay1.example", "publicKey": "{{Key}}", "stunHost": "198.51.100.7", "stunPort": 3478 } ] }
                ]
              }
            }
            """);

        var o = ControlConfiguration.Load(dir.File("c.json"), new Hashtable(), null);
        var embedded = new RelayNode { Url = "http://127.0.0.1:1", PublicKey = Key, StunPort = 3478 };
        var map = RelayMapFactory.Build(o.Relays, embedded);

        Assert.Equal([RelaySettings.DefaultRegionId, 1], map.Regions.Select(r => r.Id));
        Assert.Equal("home", map.Regions[0].Code);
        Assert.Same(embedded, Assert.Single(map.Regions[0].Relays));
        var fra = map.Regions[1];
        Assert.Equal(("fra", "Frankfurt"), (fra.Code, fra.Name));
        var relay = Assert.Single(fra.Relays);
        Assert.Equal(("https://relay1.example", Key, "198.51.100.7", 3478), (relay.Url, relay.PublicKey, relay.StunHost, relay.StunPort));
    }

    [Fact]
    public void File_OmittedOptionalRelayFields_BecomeEmptyDefaults()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{ "relays": { "embedded": false, "regions": [ { "id": 1, "code": "x", "relays": [ { "url": "http://r.example" } ] } ] } }""");

        var map = RelayMapFactory.Build(ControlConfiguration.Load(dir.File("c.json"), new Hashtable(), null).Relays, null);

        var relay = Assert.Single(Assert.Single(map.Regions).Relays);
        Assert.Equal(("", "", 0, ""), (relay.PublicKey, relay.StunHost, relay.StunPort, map.Regions[0].Name));
    }

    [Fact]
    public void EnvironmentThenFlags_TurnTheRelayAndStunOff()
    {
        var env = new Hashtable { ["WEFT_CONTROL_RELAY"] = "off", ["WEFT_CONTROL_STUN_PORT"] = "3479" };
        var o = ControlConfiguration.Load(null, env, null);
        Assert.False(o.Relays.Embedded);
        Assert.Equal(3479, o.Relays.StunPort);

        var flagged = ControlConfiguration.Load(null, env, o => (o.Relays.Embedded, o.Relays.StunPort) = (ControlConfiguration.OnOff("--relay", "on"), 0));
        Assert.True(flagged.Relays.Embedded);
        Assert.Equal(0, flagged.Relays.StunPort);
        Assert.Null(RelayMapFactory.Build(new RelaySettings { Embedded = false }, null).Regions.FirstOrDefault());
    }

    [Theory]
    [InlineData("""{ "relays": { "stunPort": 70000 } }""", "relays.stunPort")]
    [InlineData("""{ "relays": { "regionCode": "" } }""", "relays.regionCode")]
    [InlineData("""{ "relays": { "regions": [ { "id": 900, "code": "x", "relays": [ { "url": "http://r" } ] } ] } }""", "relays.regions[0].id 900")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "default", "relays": [ { "url": "http://r" } ] } ] } }""", "relays.regions[0].code 'default'")]
    [InlineData("""{ "relays": { "regions": [ { "id": 0, "code": "x", "relays": [ { "url": "http://r" } ] } ] } }""", "relays.regions[0].id must be a positive")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "x", "relays": [] } ] } }""", "relays.regions[0].relays must list")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "x", "relays": [ { "url": "r.example:443" } ] } ] } }""", "relays.regions[0].relays[0].url 'r.example:443'")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "x", "relays": [ { "url": "http://r", "publicKey": "abc" } ] } ] } }""", "relays.regions[0].relays[0].publicKey")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "x", "relays": [ { "url": "http://r", "stunPort": -1 } ] } ] } }""", "relays.regions[0].relays[0].stunPort")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "x", "relays": [ { "url": "http://r", "stunHost": "a b" } ] } ] } }""", "relays.regions[0].relays[0].stunHost 'a b'")]
    [InlineData("""{ "relays": { "regions": [ { "id": 1, "code": "x", "relays": [ { "url": "http://r", "nope": 1 } ] } ] } }""", "nope")]
    [InlineData("""{ "relays": null }""", "relays must be an object")]
    [InlineData("""{ "publicUrl": "control.example" }""", "publicUrl 'control.example'")]
    public void File_BadRelayField_IsNamedInTheError(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), json);

        var ex = Assert.Throws<InvalidDataException>(() => ControlConfiguration.Load(dir.File("c.json"), new Hashtable(), null));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddedOff_FreesItsRegionIdForAnExternalRegion()
    {
        var settings = new RelaySettings
        {
            Embedded = false,
            Regions = [new RelayRegion { Id = RelaySettings.DefaultRegionId, Code = "default", Relays = [new RelayNode { Url = "http://r" }] }],
        };

        RelayMapFactory.Validate(settings);
        Assert.Throws<InvalidDataException>(() => RelayMapFactory.Validate(new RelaySettings { Regions = settings.Regions }));
    }

    [Theory]
    [InlineData("WEFT_CONTROL_RELAY", "maybe", "WEFT_CONTROL_RELAY='maybe' must be on or off")]
    [InlineData("WEFT_CONTROL_STUN_PORT", "-3", "WEFT_CONTROL_STUN_PORT='-3'")]
    public void Environment_BadValue_IsNamed(string name, string value, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => ControlConfiguration.Load(null, new Hashtable { [name] = value }, null));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
