using System.Net.Security;
using Weft.Core.Crypto;

namespace Weft.Relay.Client;

/// <summary>Where a node's relay client connects and how it retries.</summary>
public sealed class RelayClientOptions
{
    /// <summary>The relay's URL (http:// for labs, https:// otherwise). Required.</summary>
    public required Uri Url { get; init; }

    /// <summary>The relay's public key, from the relay map; when unset it is fetched from the relay's key endpoint on each connect (trust on first use).</summary>
    public Key32? RelayPublic { get; init; }

    /// <summary>
    /// Other relays of the same region (they mesh, so any of them reaches the same peers): when a connection to the
    /// current one fails or ends, the client moves on to the next, round-robin, starting from <see cref="Url"/>.
    /// </summary>
    public IReadOnlyList<RelayAddress> Alternates { get; init; } = [];

    /// <summary>Packets queued for sending before new ones are dropped. Defaults to 1024.</summary>
    public int SendQueuePackets { get; init; } = 1024;

    /// <summary>First delay before reconnecting after a failure; doubles up to <see cref="MaxBackoff"/>. Defaults to 250 ms.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between reconnect attempts. Defaults to 30 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>TLS certificate check for https relays; null uses the system's trust store.</summary>
    public RemoteCertificateValidationCallback? CertificateValidation { get; init; }

    /// <summary>For tests: opens and authenticates a connection some other way than dialling <see cref="Url"/> (in memory, through a proxy stream).</summary>
    internal Func<Key32, Key32, CancellationToken, Task<RelayTransport>>? Dial { get; init; }
}

/// <summary>One relay a client may connect to: its URL and, when the relay map gives it, its public key.</summary>
public sealed record RelayAddress(Uri Url, Key32? PublicKey);
