namespace Weft.Control.Console;

/// <summary>
/// Live updates for one console page: calls back once per burst of changes to a tailnet (a node going online
/// or offline, a rename, a new user), on <see cref="ControlService.TailnetChanged"/> rather than a polling timer.
/// The first change of a burst arms a short window; everything arriving within it is served by one callback.
/// </summary>
public sealed class TailnetWatch : IDisposable
{
    /// <summary>
    /// How long changes gather before the page re-reads: a node's connect alone is several commits (host info,
    /// routes, endpoints, the stream opening), and a policy edit touches every machine; a person does not notice a quarter second.
    /// </summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    private readonly ControlService _service;
    private readonly long _tailnetId;
    private readonly Func<Task> _changed;
    private readonly ITimer _timer;

    /// <summary>_gate guards the fields below.</summary>
    private readonly Lock _gate = new();
    private bool _armed;
    private bool _disposed;

    /// <param name="changed">Re-reads and re-renders; runs on a timer thread (pages hop onto their renderer with InvokeAsync).</param>
    /// <param name="clock">
    /// The clock of the window; pages pass <see cref="TimeProvider.System"/> because the window is scheduling,
    /// not tailnet time, and must pass while a test's fake clock stands still.
    /// </param>
    public TailnetWatch(ControlService service, long tailnetId, Func<Task> changed, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(clock);
        _service = service;
        _tailnetId = tailnetId;
        _changed = changed;
        _timer = clock.CreateTimer(static w => _ = ((TailnetWatch)w!).FireAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        service.TailnetChanged += OnChanged;
    }

    /// <summary>Callbacks made so far (tests: a burst is one).</summary>
    public int Callbacks { get; private set; }

    private void OnChanged(long tailnetId)
    {
        if (tailnetId != _tailnetId)
        {
            return;
        }

        lock (_gate)
        {
            if (_armed || _disposed)
            {
                return;
            }

            _armed = true;
            _timer.Change(Window, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task FireAsync()
    {
        lock (_gate)
        {
            // Disarmed first: a change during the callback arms the next window, so nothing committed meanwhile is missed.
            _armed = false;
            if (_disposed)
            {
                return;
            }

            Callbacks++;
        }

        try
        {
            await _changed().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The page closed while it was re-reading.
        }
    }

    /// <summary>Stops listening; a window already armed ends without a callback.</summary>
    public void Dispose()
    {
        _service.TailnetChanged -= OnChanged;
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }
}
