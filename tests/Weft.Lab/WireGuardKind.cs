namespace Weft.Lab;

/// <summary>Which userspace WireGuard implementation runs an interface.</summary>
public enum WireGuardKind
{
    /// <summary>Debian's wireguard-go, the reference the harness is checked with.</summary>
    WireGuardGo,

    /// <summary>`weft wireguard`, the implementation under test.</summary>
    Weft,
}
