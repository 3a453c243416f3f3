namespace Weft.Core.Control;

/// <summary>Constants of the control protocol between a node and the coordination server.</summary>
public static class ControlProtocol
{
    // From the Noise specification (revision 34).

    /// <summary>The Noise protocol name, hashed into the initial handshake state.</summary>
    public const string Construction = "Noise_IK_25519_ChaChaPoly_BLAKE2s";

    // Our choice.

    /// <summary>Bound into every handshake hash so a transcript of another protocol never verifies here.</summary>
    public const string Prologue = "Weft control v1";

    /// <summary>The protocol version the initiator proposes in its first message's payload.</summary>
    public const ushort Version = 1;

    /// <summary>The WebSocket path the channel runs on (plain HTTP or HTTPS; the Noise layer protects it either way).</summary>
    public const string Path = "/control/v1";

    /// <summary>Where a client fetches (and then pins) the server's public key before its first handshake.</summary>
    public const string KeyPath = "/control/v1/key";

    /// <summary>Every frame starts with its length as a 32-bit big-endian integer.</summary>
    public const int LengthPrefix = 4;

    /// <summary>A handshake message is at most this long: e, encrypted s, small payload.</summary>
    public const int MaxHandshakeMessage = 1024;

    /// <summary>Largest plaintext in one transport frame; a 10,000-node netmap fits, a hostile length does not make us allocate more.</summary>
    public const int MaxFramePlaintext = 16 << 20;
}
