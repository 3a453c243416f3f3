namespace Weft.WireGuard;

// The peer's timers, as the whitepaper (section 6) and the reference implementations run them.
public sealed partial class Peer
{
    private PeerTimer _retransmitHandshake = null!;
    private PeerTimer _sendKeepalive = null!;
    private PeerTimer _newHandshake = null!;
    private PeerTimer _zeroKeyMaterial = null!;
    private PeerTimer _persistentKeepalive = null!;
    private int _handshakeAttempts;
    private volatile bool _needAnotherKeepalive;
    private volatile bool _sentLastMinuteHandshake;
    private volatile bool _timersStopped;

    private void InitializeTimers(TimeProvider time)
    {
        _retransmitHandshake = new PeerTimer(time, static p => p.OnRetransmitHandshake(), this);
        _sendKeepalive = new PeerTimer(time, static p => p.OnSendKeepalive(), this);
        _newHandshake = new PeerTimer(time, static p => p.OnNewHandshake(), this);
        _zeroKeyMaterial = new PeerTimer(time, static p => p.OnZeroKeyMaterial(), this);
        _persistentKeepalive = new PeerTimer(time, static p => p.OnPersistentKeepalive(), this);
    }

    private ProtocolTimes Times => _device.Times;

    /// <summary>Whether the initiator already started the handshake due near REJECT_AFTER_TIME.</summary>
    internal bool SentLastMinuteHandshake
    {
        get => _sentLastMinuteHandshake;
        set => _sentLastMinuteHandshake = value;
    }

    /// <summary>REKEY_TIMEOUT plus up to a third of a second of jitter, so peers do not retry in lockstep.</summary>
    private TimeSpan RekeyTimeoutWithJitter() =>
        Times.RekeyTimeout + Times.RekeyTimeoutJitterMax * Random.Shared.NextDouble();

    /// <summary>We sent data: expect something back within KEEPALIVE_TIMEOUT + REKEY_TIMEOUT, or start a new handshake.</summary>
    internal void TimersDataSent()
    {
        if (!_newHandshake.IsPending)
        {
            _newHandshake.Schedule(Times.KeepaliveTimeout + RekeyTimeoutWithJitter());
        }
    }

    /// <summary>We received data: answer with a keepalive within KEEPALIVE_TIMEOUT unless we send data first.</summary>
    internal void TimersDataReceived()
    {
        if (!_sendKeepalive.IsPending)
        {
            _sendKeepalive.Schedule(Times.KeepaliveTimeout);
        }
        else
        {
            _needAnotherKeepalive = true;
        }
    }

    /// <summary>Any authenticated packet we send counts as a keepalive.</summary>
    internal void TimersAnyAuthenticatedPacketSent() => _sendKeepalive.Cancel();

    /// <summary>Any authenticated packet from the peer shows the session works.</summary>
    internal void TimersAnyAuthenticatedPacketReceived() => _newHandshake.Cancel();

    /// <summary>We sent an initiation: retry it if no response arrives in time.</summary>
    internal void TimersHandshakeInitiated() => _retransmitHandshake.Schedule(RekeyTimeoutWithJitter());

    /// <summary>A handshake completed: stop retrying.</summary>
    internal void TimersHandshakeComplete()
    {
        _retransmitHandshake.Cancel();
        Volatile.Write(ref _handshakeAttempts, 0);
        _sentLastMinuteHandshake = false;
        MarkHandshakeCompleted();
    }

    /// <summary>New keys exist: erase all key material if nothing renews it within three times REJECT_AFTER_TIME.</summary>
    internal void TimersSessionDerived() => _zeroKeyMaterial.Schedule(Times.RejectAfterTime * 3);

    /// <summary>Any authenticated packet in either direction restarts the persistent keepalive.</summary>
    internal void TimersAnyAuthenticatedPacketTraversal()
    {
        var interval = PersistentKeepaliveInterval;
        if (interval > 0)
        {
            _persistentKeepalive.Schedule(Times.KeepaliveTimeout / Constants.KeepaliveTimeout.TotalSeconds * interval);
        }
    }

    /// <summary>Starts or stops the persistent keepalive after its interval was set.</summary>
    internal void PersistentKeepaliveChanged()
    {
        if (PersistentKeepaliveInterval == 0)
        {
            _persistentKeepalive.Cancel();
        }
        else
        {
            // Send one now, as wg does when the interval is first set, so a NAT mapping opens at once.
            _device.SendKeepalive(this);
        }
    }

    private void OnRetransmitHandshake()
    {
        if (_timersStopped)
        {
            return;
        }
        if (Volatile.Read(ref _handshakeAttempts) > Times.MaxHandshakeAttempts)
        {
            // Give up on this burst of traffic; keep the keys only until the zeroing timer.
            _sendKeepalive.Cancel();
            ClearStaged();
            if (!_zeroKeyMaterial.IsPending)
            {
                _zeroKeyMaterial.Schedule(Times.RejectAfterTime * 3);
            }
            Volatile.Write(ref _handshakeAttempts, 0);
            return;
        }
        Interlocked.Increment(ref _handshakeAttempts);
        _device.SendInitiation(this, isRetry: true);
    }

    private void OnSendKeepalive()
    {
        if (_timersStopped)
        {
            return;
        }
        _device.SendKeepalive(this);
        if (_needAnotherKeepalive)
        {
            _needAnotherKeepalive = false;
            _sendKeepalive.Schedule(Times.KeepaliveTimeout);
        }
    }

    private void OnNewHandshake()
    {
        if (_timersStopped)
        {
            return;
        }
        _device.SendInitiation(this, isRetry: false);
    }

    private void OnZeroKeyMaterial()
    {
        if (_timersStopped)
        {
            return;
        }
        ZeroKeyMaterial();
    }

    private void OnPersistentKeepalive()
    {
        if (_timersStopped || PersistentKeepaliveInterval == 0)
        {
            return;
        }
        _device.SendKeepalive(this);
    }

    /// <summary>Stops every timer for good (peer removed or device closed).</summary>
    internal void StopTimers()
    {
        _timersStopped = true;
        _retransmitHandshake.Dispose();
        _sendKeepalive.Dispose();
        _newHandshake.Dispose();
        _zeroKeyMaterial.Dispose();
        _persistentKeepalive.Dispose();
    }

    /// <summary>Whether a timer is armed, for tests.</summary>
    internal bool IsRetransmitPending => _retransmitHandshake.IsPending;

    internal bool IsKeepalivePending => _sendKeepalive.IsPending;

    internal bool IsNewHandshakePending => _newHandshake.IsPending;

    internal bool IsZeroKeyMaterialPending => _zeroKeyMaterial.IsPending;
}

/// <summary>
/// A one-shot timer that knows whether it is armed, on a <see cref="TimeProvider"/>. Re-arming it for a
/// later time (which the data path does for every batch) only records the new deadline; the underlying
/// timer is changed when it must fire earlier, and when it fires early it re-arms for the rest. This
/// keeps timer-queue work and timer-thread wake-ups off the per-batch path.
/// </summary>
internal sealed class PeerTimer : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Action<Peer> _callback;
    private readonly Peer _peer;

    // _gate guards the fields below.
    private readonly Lock _gate = new();
    private bool _pending;
    private long _deadline;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    public PeerTimer(TimeProvider time, Action<Peer> callback, Peer peer)
    {
        _time = time;
        _callback = callback;
        _peer = peer;
        _timer = time.CreateTimer(static s => ((PeerTimer)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public bool IsPending
    {
        get
        {
            lock (_gate)
            {
                return _pending;
            }
        }
    }

    /// <summary>Arms (or re-arms) the timer to fire once after <paramref name="due"/>.</summary>
    public void Schedule(TimeSpan due)
    {
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }
        var now = _time.GetTimestamp();
        var deadline = now + (long)(due.TotalSeconds * _time.TimestampFrequency);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _pending = true;
            _deadline = deadline;
            if (deadline < _armedFor)
            {
                _armedFor = deadline;
                _timer.Change(due, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Disarms the timer; a wake-up already set for it finds nothing to do.</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            _pending = false;
        }
    }

    private void Fire()
    {
        lock (_gate)
        {
            _armedFor = long.MaxValue;
            if (!_pending || _disposed)
            {
                return;
            }
            var now = _time.GetTimestamp();
            if (now < _deadline)
            {
                // Pushed back since it was armed: sleep for the rest.
                _armedFor = _deadline;
                _timer.Change(TimeSpan.FromSeconds((double)(_deadline - now) / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
                return;
            }
            _pending = false;
        }
        _callback(_peer);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _pending = false;
        }
        _timer.Dispose();
    }
}
