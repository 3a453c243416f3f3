namespace Weft.Relay.Hosting;

/// <summary>Settings of a standalone relay process (`weft relay`).</summary>
public sealed class RelayHostOptions
{
    /// <summary>URL to listen on. Defaults to http://127.0.0.1:8443 (use https:// with a certificate outside labs).</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8443";

    /// <summary>Directory holding the relay key (created with mode 0600 on first start). Defaults to ./weft-relay.</summary>
    public string DataDir { get; set; } = "weft-relay";

    /// <summary>UDP port of the STUN responder; 0 picks a free one, null runs none. Defaults to 3478.</summary>
    public int? StunPort { get; set; } = RelayConstants.StunPort;

    /// <summary>File holding the region's mesh secret (mode 0600); null for a relay that meshes with nobody.</summary>
    public string? MeshKeyFile { get; set; }

    /// <summary>The other relays of the region to dial. Defaults to none.</summary>
    public IList<Uri> MeshWith { get; } = [];

    /// <summary>PEM certificate for https listen URLs.</summary>
    public string? TlsCert { get; set; }

    /// <summary>PEM private key for <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>Per-client limits and queues.</summary>
    public Server.RelayServerOptions Server { get; } = new();
}
