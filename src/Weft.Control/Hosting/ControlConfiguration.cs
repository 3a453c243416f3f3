using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weft.Control.Hosting;

/// <summary>
/// Builds <see cref="ControlServerOptions"/> from three layers, later ones winning: a JSON file, then
/// WEFT_CONTROL_* environment variables, then command-line flags. Bad input names the file, variable or field.
/// </summary>
public static class ControlConfiguration
{
    /// <summary>30 days: longer would outlast a single timer wait, and an ephemeral node gone that long is not coming back.</summary>
    private const int MaxEphemeralTimeoutSeconds = 30 * 24 * 3600;

    /// <summary>Environment variable suffixes and the option each sets.</summary>
    private static readonly (string Name, Action<ControlServerOptions, string> Set)[] Variables =
    [
        ("DATA_DIR", (o, v) => o.DataDir = v),
        ("LISTEN", (o, v) => o.Listen = v),
        ("PUBLIC_URL", (o, v) => o.PublicUrl = v),
        ("FIRST_TAILNET", (o, v) => o.FirstTailnet = v),
        ("FIRST_ADMIN", (o, v) => o.FirstAdmin = v),
        ("POSTGRES", (o, v) => o.Postgres = v),
        ("TLS_CERT", (o, v) => o.TlsCert = v),
        ("TLS_KEY", (o, v) => o.TlsKey = v),
        ("EPHEMERAL_TIMEOUT_SECONDS", (o, v) => o.EphemeralTimeoutSeconds = Number("EPHEMERAL_TIMEOUT_SECONDS", v)),
        ("REGISTER_BURST", (o, v) => o.RegisterBurst = Number("REGISTER_BURST", v)),
        ("REGISTER_PER_MINUTE", (o, v) => o.RegisterPerMinute = Number("REGISTER_PER_MINUTE", v)),
        ("RELAY", (o, v) => o.Relays.Embedded = OnOff(ControlConstants.EnvironmentPrefix + "RELAY", v)),
        ("STUN_PORT", (o, v) => o.Relays.StunPort = Number("STUN_PORT", v)),
        ("LATEST_CLIENT_VERSION", (o, v) => o.LatestClientVersion = v.Trim()),
        ("SHARED_EMAIL_DOMAINS", (o, v) => o.SharedEmailDomains = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
    ];

    /// <summary>
    /// Options from <paramref name="configFile"/> (when given), then <paramref name="environment"/> (the
    /// process environment when null), then <paramref name="flags"/>; validated.
    /// </summary>
    /// <exception cref="InvalidDataException">The file, a variable or the result is invalid; the message says which.</exception>
    public static ControlServerOptions Load(string? configFile, IDictionary? environment, Action<ControlServerOptions>? flags)
    {
        var options = configFile is null ? new ControlServerOptions() : ReadFile(configFile);
        if (options.Relays is null)
        {
            // Checked before the variables and flags below write into it.
            throw new InvalidDataException($"config file {configFile}: relays must be an object, not null");
        }

        environment ??= Environment.GetEnvironmentVariables();
        foreach (var (name, set) in Variables)
        {
            if (environment[ControlConstants.EnvironmentPrefix + name] is string value && value.Length > 0)
            {
                set(options, value);
            }
        }

        flags?.Invoke(options);
        Validate(options);
        return options;
    }

    private static ControlServerOptions ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read config file {path}: {ex.Message}", ex);
        }

        try
        {
            return JsonSerializer.Deserialize(text, OptionsJsonContext.Default.ControlServerOptions)
                ?? throw new InvalidDataException($"config file {path} holds null instead of an object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"config file {path}: {ex.Message}", ex);
        }
    }

    private static int Number(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidDataException($"{ControlConstants.EnvironmentPrefix}{name}='{value}' is not a non-negative whole number");

    /// <summary>"on" or "off" (also true/false, 1/0), as --relay takes it.</summary>
    /// <exception cref="InvalidDataException">Anything else; the message names <paramref name="name"/>.</exception>
    public static bool OnOff(string name, string value) => value.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "1" or "yes" => true,
        "off" or "false" or "0" or "no" => false,
        _ => throw new InvalidDataException($"{name}='{value}' must be on or off"),
    };

    private static void Validate(ControlServerOptions o)
    {
        Weft.Control.Relays.RelayMapFactory.Validate(o.Relays);
        if (o.PublicUrl is not null && (!Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out var publicUrl) || (publicUrl.Scheme != Uri.UriSchemeHttp && publicUrl.Scheme != Uri.UriSchemeHttps)))
        {
            throw new InvalidDataException($"publicUrl '{o.PublicUrl}' is not an http:// or https:// URL (nodes reach the server and its relay there)");
        }

        o.Oidc?.Validate();
        if ((o.TlsCert is null) != (o.TlsKey is null))
        {
            throw new InvalidDataException("TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
        }

        if (o.EphemeralTimeoutSeconds <= 0 || o.EphemeralTimeoutSeconds > MaxEphemeralTimeoutSeconds)
        {
            throw new InvalidDataException($"ephemeralTimeoutSeconds must be between 1 and {MaxEphemeralTimeoutSeconds} (30 days), not {o.EphemeralTimeoutSeconds}");
        }

        if (o.RegisterBurst <= 0 || o.RegisterPerMinute <= 0)
        {
            throw new InvalidDataException("registerBurst and registerPerMinute must be positive");
        }

        if (!Uri.TryCreate(o.Listen, UriKind.Absolute, out var listen) || (listen.Scheme != Uri.UriSchemeHttp && listen.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidDataException($"listen '{o.Listen}' is not an http:// or https:// URL");
        }

        if (listen.Scheme == Uri.UriSchemeHttps && o.TlsCert is null)
        {
            throw new InvalidDataException($"listen '{o.Listen}' is https but no --tls-cert and --tls-key were given");
        }

        if (listen.Scheme == Uri.UriSchemeHttp && o.TlsCert is not null)
        {
            throw new InvalidDataException($"a TLS certificate was given but listen '{o.Listen}' is plain http; use https://");
        }
    }
}

/// <summary>Source-generated JSON for the config file: comments and trailing commas allowed, unknown fields rejected (they are typos).</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ControlServerOptions))]
internal sealed partial class OptionsJsonContext : JsonSerializerContext;
