namespace Weft.WireGuard;

/// <summary>How a <see cref="Device"/> runs. The protocol times are the specification's unless a test scales them.</summary>
public sealed class DeviceOptions
{
    /// <summary>Clock for timers and key ages. Defaults to the system clock; tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The protocol's times. Defaults to <see cref="ProtocolTimes.Specification"/>.</summary>
    public ProtocolTimes Times { get; init; } = ProtocolTimes.Specification;

    /// <summary>
    /// Crypto worker threads; 0 seals and opens on the reader threads themselves, with no hand-offs.
    /// Defaults to 0 on machines with fewer than four processors (measured on two cores: 3.9 Gbit/s
    /// inline against 1.9 Gbit/s with two workers, the hand-offs costing more than they parallelise),
    /// otherwise to the number of processors.
    /// </summary>
    public int CryptoWorkers { get; init; } = Environment.ProcessorCount < 4 ? 0 : Environment.ProcessorCount;

    /// <summary>Test-only: behave as if under load, so every handshake needs a valid mac2. Defaults to false.</summary>
    public bool ForceUnderLoad { get; init; }

    /// <summary>Most pooled packet buffers kept. Defaults to 4096 (about 256 MiB at most, touched lazily).</summary>
    public int MaxPooledBuffers { get; init; } = 4096;
}

/// <summary>The protocol's timers (whitepaper section 6), scalable together for tests.</summary>
public sealed record ProtocolTimes(
    TimeSpan RekeyAfterTime,
    TimeSpan RejectAfterTime,
    TimeSpan RekeyAttemptTime,
    TimeSpan RekeyTimeout,
    TimeSpan RekeyTimeoutJitterMax,
    TimeSpan KeepaliveTimeout)
{
    /// <summary>The values from the specification.</summary>
    public static ProtocolTimes Specification { get; } = new(
        Constants.RekeyAfterTime,
        Constants.RejectAfterTime,
        Constants.RekeyAttemptTime,
        Constants.RekeyTimeout,
        Constants.RekeyTimeoutJitterMax,
        Constants.KeepaliveTimeout);

    /// <summary>Every time multiplied by <paramref name="factor"/> (a test shortens them to see rekeys happen).</summary>
    public ProtocolTimes Scale(double factor)
    {
        if (!(factor > 0) || double.IsInfinity(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "the time scale must be a positive number");
        }
        return new(RekeyAfterTime * factor, RejectAfterTime * factor, RekeyAttemptTime * factor,
            RekeyTimeout * factor, RekeyTimeoutJitterMax * factor, KeepaliveTimeout * factor);
    }

    /// <summary>Initiations sent for one burst of traffic before giving up (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT).</summary>
    public int MaxHandshakeAttempts => (int)(RekeyAttemptTime / RekeyTimeout);
}
