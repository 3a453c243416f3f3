namespace Weft.Control.Hosting;

/// <summary>How `weft control` runs.</summary>
public sealed class ControlServerOptions
{
    /// <summary>Where the database and the server key live. Defaults to "./weft-control".</summary>
    public string DataDir { get; set; } = "weft-control";

    /// <summary>Kestrel listen URL ("http://0.0.0.0:8080"; port 0 picks a free one). Defaults to http://127.0.0.1:8080.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The URL nodes and admins reach this server at, for login links. Defaults to the listen URL.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Name of the tailnet created on first start. Defaults to "default".</summary>
    public string FirstTailnet { get; set; } = "default";

    /// <summary>Login of the owner created on first start. Defaults to "admin".</summary>
    public string FirstAdmin { get; set; } = "admin";
}
