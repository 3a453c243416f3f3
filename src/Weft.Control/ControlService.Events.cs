namespace Weft.Control;

/// <summary>
/// Tells watchers in this process (the admin console's open pages) that a tailnet changed, so they re-read
/// it instead of polling: raised after every committed change (here or, with replicas, on another server) and
/// whenever a node's map stream opens or closes on this server (online and offline are per-server state).
/// </summary>
public sealed partial class ControlService
{
    /// <summary>
    /// Raised with the tailnet's id after something in it changed. Handlers run on the thread that made the
    /// change, sometimes a node's connection: they must return at once and not throw (schedule the work instead).
    /// </summary>
    public event Action<long>? TailnetChanged;

    /// <summary>Raises <see cref="TailnetChanged"/>; the change is committed (or the session opened or closed) before this is called.</summary>
    internal void OnTailnetChanged(long tailnetId) => TailnetChanged?.Invoke(tailnetId);
}
