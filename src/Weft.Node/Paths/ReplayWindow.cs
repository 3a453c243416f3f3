namespace Weft.Node.Paths;

/// <summary>
/// Sliding-window replay check over a sender's disco message counters (the idea of RFC 6479, 64 wide): messages
/// may arrive out of order over the relay and direct paths, but none is accepted twice. Not thread-safe; the owner locks.
/// </summary>
internal sealed class ReplayWindow
{
    private const int Width = 64;
    private ulong _highest;
    private ulong _seen;
    private bool _any;

    /// <summary>Accepts a counter seen for the first time (and records it); false for a replay or one too old to judge.</summary>
    public bool TryAccept(ulong counter)
    {
        if (!_any || counter > _highest)
        {
            var shift = _any ? counter - _highest : Width;
            _seen = shift >= Width ? 1UL : (_seen << (int)shift) | 1UL;
            _highest = counter;
            _any = true;
            return true;
        }
        var behind = _highest - counter;
        if (behind >= Width)
        {
            return false;
        }
        var bit = 1UL << (int)behind;
        if ((_seen & bit) != 0)
        {
            return false;
        }
        _seen |= bit;
        return true;
    }
}
