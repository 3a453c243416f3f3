namespace Weft.Relay;

/// <summary>Defaults of the relay and its STUN responder.</summary>
public static class RelayConstants
{
    /// <summary>The STUN port (RFC 8489).</summary>
    public const int StunPort = 3478;
}
