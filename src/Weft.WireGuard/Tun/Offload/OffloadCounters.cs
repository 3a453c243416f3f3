namespace Weft.WireGuard.Tun.Offload;

/// <summary>
/// What the offload paths did and what they refused. Each field is written by one side only (the reader
/// or the writer thread) and read by others for diagnostics, so plain increments through Interlocked suffice.
/// </summary>
public sealed class OffloadCounters
{
    private long _superpacketsSplit;
    private long _segmentsProduced;
    private long _malformedDropped;
    private long _superpacketsWritten;
    private long _segmentsCoalesced;
    private long _writeErrors;

    /// <summary>GSO superpackets read and split into segments.</summary>
    public long SuperpacketsSplit => Interlocked.Read(ref _superpacketsSplit);

    /// <summary>Segments produced by splitting superpackets.</summary>
    public long SegmentsProduced => Interlocked.Read(ref _segmentsProduced);

    /// <summary>Packets read that were dropped: bad virtio_net_hdr, truncated, unsupported or too many segments.</summary>
    public long MalformedDropped => Interlocked.Read(ref _malformedDropped);

    /// <summary>GSO superpackets built from several packets and written with one write(2).</summary>
    public long SuperpacketsWritten => Interlocked.Read(ref _superpacketsWritten);

    /// <summary>Packets that went into a written superpacket.</summary>
    public long SegmentsCoalesced => Interlocked.Read(ref _segmentsCoalesced);

    /// <summary>Writes the kernel refused (the packets are dropped).</summary>
    public long WriteErrors => Interlocked.Read(ref _writeErrors);

    internal void OnSplit(int segments)
    {
        Interlocked.Increment(ref _superpacketsSplit);
        Interlocked.Add(ref _segmentsProduced, segments);
    }

    internal void OnMalformed() => Interlocked.Increment(ref _malformedDropped);

    internal void OnCoalesced(int segments)
    {
        Interlocked.Increment(ref _superpacketsWritten);
        Interlocked.Add(ref _segmentsCoalesced, segments);
    }

    internal void OnWriteError() => Interlocked.Increment(ref _writeErrors);
}
