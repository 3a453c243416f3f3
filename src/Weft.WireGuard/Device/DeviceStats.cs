namespace Weft.WireGuard;

/// <summary>What the device dropped and why, plus handshake events. Counters only grow.</summary>
public sealed class DeviceStats
{
    internal long _malformed;
    internal long _unknownIndex;
    internal long _expiredKeypair;
    internal long _decryptFailed;
    internal long _replayed;
    internal long _notAllowedSource;
    internal long _noRoute;
    internal long _noEndpoint;
    internal long _handshakeQueueFull;
    internal long _handshakeRejected;
    internal long _simultaneousInitiations;
    internal long _handshakeMac1Failed;
    internal long _rateLimited;
    internal long _cookieRepliesSent;
    internal long _cookieRepliesAccepted;
    internal long _stagedDropped;
    internal long _handshakesCompleted;
    internal long _invalidInnerPacket;
    internal long _filteredInbound;
    internal long _filteredOutbound;

    /// <summary>Datagrams of unknown type or wrong length, and TUN packets too short to route.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Transport messages whose receiver index names no live keypair.</summary>
    public long UnknownIndex => Interlocked.Read(ref _unknownIndex);

    /// <summary>Transport messages under a keypair older than REJECT_AFTER_TIME.</summary>
    public long ExpiredKeypair => Interlocked.Read(ref _expiredKeypair);

    /// <summary>Transport messages that failed authentication.</summary>
    public long DecryptFailed => Interlocked.Read(ref _decryptFailed);

    /// <summary>Transport messages whose counter was seen before or is too old.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Decrypted packets whose source address is not among the peer's allowed IPs.</summary>
    public long NotAllowedSource => Interlocked.Read(ref _notAllowedSource);

    /// <summary>Decrypted packets that are not a well-formed IPv4 or IPv6 packet.</summary>
    public long InvalidInnerPacket => Interlocked.Read(ref _invalidInnerPacket);

    /// <summary>Decrypted packets the packet filter refused (never written to the TUN).</summary>
    public long FilteredInbound => Interlocked.Read(ref _filteredInbound);

    /// <summary>TUN packets the packet filter refused (never encrypted or sent).</summary>
    public long FilteredOutbound => Interlocked.Read(ref _filteredOutbound);

    /// <summary>TUN packets whose destination matches no peer's allowed IPs.</summary>
    public long NoRoute => Interlocked.Read(ref _noRoute);

    /// <summary>Packets for a peer whose endpoint is not known yet.</summary>
    public long NoEndpoint => Interlocked.Read(ref _noEndpoint);

    /// <summary>Handshake messages dropped because the handshake queue was full.</summary>
    public long HandshakeQueueFull => Interlocked.Read(ref _handshakeQueueFull);

    /// <summary>Handshake messages that failed validation (unknown peer, bad decryption, replayed timestamp, flood).</summary>
    public long HandshakeRejected => Interlocked.Read(ref _handshakeRejected);

    /// <summary>Peers' initiations left unanswered because ours crossed them and our key wins the tie (the peer answers ours).</summary>
    public long SimultaneousInitiations => Interlocked.Read(ref _simultaneousInitiations);

    /// <summary>Handshake messages with a wrong mac1.</summary>
    public long HandshakeMac1Failed => Interlocked.Read(ref _handshakeMac1Failed);

    /// <summary>Handshake messages over the per-source rate limit while under load.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Cookie replies sent while under load.</summary>
    public long CookieRepliesSent => Interlocked.Read(ref _cookieRepliesSent);

    /// <summary>Cookie replies received and accepted.</summary>
    public long CookieRepliesAccepted => Interlocked.Read(ref _cookieRepliesAccepted);

    /// <summary>Packets dropped from a full staging queue while waiting for a handshake.</summary>
    public long StagedDropped => Interlocked.Read(ref _stagedDropped);

    /// <summary>Handshakes completed (both roles).</summary>
    public long HandshakesCompleted => Interlocked.Read(ref _handshakesCompleted);

    public override string ToString() =>
        $"malformed={Malformed} unknown-index={UnknownIndex} expired-keypair={ExpiredKeypair} decrypt-failed={DecryptFailed} " +
        $"replayed={Replayed} not-allowed-source={NotAllowedSource} invalid-inner={InvalidInnerPacket} filtered-in={FilteredInbound} " +
        $"filtered-out={FilteredOutbound} no-route={NoRoute} " +
        $"no-endpoint={NoEndpoint} handshake-queue-full={HandshakeQueueFull} handshake-rejected={HandshakeRejected} " +
        $"mac1-failed={HandshakeMac1Failed} rate-limited={RateLimited} cookie-replies-sent={CookieRepliesSent} " +
        $"cookie-replies-accepted={CookieRepliesAccepted} staged-dropped={StagedDropped} handshakes={HandshakesCompleted}";
}
