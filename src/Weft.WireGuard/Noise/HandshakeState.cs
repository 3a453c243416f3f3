namespace Weft.WireGuard.Noise;

/// <summary>Where a <see cref="Handshake"/> is between two sessions.</summary>
public enum HandshakeState
{
    /// <summary>Nothing in flight.</summary>
    Zeroed,

    /// <summary>We sent an initiation and wait for the response.</summary>
    InitiationCreated,

    /// <summary>We accepted a peer's initiation and owe it a response.</summary>
    InitiationConsumed,

    /// <summary>We answered an initiation; keys can be derived (we are the responder).</summary>
    ResponseCreated,

    /// <summary>We accepted the response to our initiation; keys can be derived (we are the initiator).</summary>
    ResponseConsumed,
}
