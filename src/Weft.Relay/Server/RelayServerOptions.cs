namespace Weft.Relay.Server;

/// <summary>How one relay behaves towards its clients and mesh peers.</summary>
public sealed class RelayServerOptions
{
    /// <summary>Packets queued towards one client before new ones are dropped. Defaults to <see cref="RelayConstants.DefaultQueuePackets"/>.</summary>
    public int QueuePackets { get; set; } = RelayConstants.DefaultQueuePackets;

    /// <summary>Packets one sender may hold in one destination's queue. Defaults to <see cref="RelayConstants.DefaultPerSenderPackets"/>.</summary>
    public int PerSenderPackets { get; set; } = RelayConstants.DefaultPerSenderPackets;

    /// <summary>Sustained bytes per second one client may send (frame bytes, at least 64 per frame). Defaults to 1 Gbit/s.</summary>
    public long RateBytesPerSecond { get; set; } = RelayConstants.DefaultRateBytesPerSecond;

    /// <summary>Bytes a client may send in a burst. Defaults to 4 MiB.</summary>
    public long BurstBytes { get; set; } = RelayConstants.DefaultBurstBytes;

    /// <summary>The region's 32-byte mesh key (see <c>RelayHandshake.DeriveMeshKey</c>); null when this relay meshes with nobody.</summary>
    public byte[]? MeshKey { get; set; }

    /// <summary>URLs of the other relays of the region to dial (each must hold the same mesh key). Defaults to none.</summary>
    public IList<Uri> MeshWith { get; } = [];

    /// <summary>Handshakes per second one source address may start. Defaults to <see cref="RelayConstants.HandshakesPerSecondPerSource"/>.</summary>
    public double HandshakesPerSecond { get; set; } = RelayConstants.HandshakesPerSecondPerSource;

    /// <summary>Handshakes one source may start at once. Defaults to <see cref="RelayConstants.HandshakeBurstPerSource"/>.</summary>
    public double HandshakeBurst { get; set; } = RelayConstants.HandshakeBurstPerSource;
}
