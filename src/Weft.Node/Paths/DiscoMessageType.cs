namespace Weft.Node.Paths;

/// <summary>The kinds of disco message (the first byte of the sealed plaintext).</summary>
public enum DiscoMessageType : byte
{
    /// <summary>"Are you there on this path?" — carries a transaction id and the sender's node key.</summary>
    Ping = 1,

    /// <summary>The answer to a ping: its transaction id and the address the ping came from as the answerer saw it.</summary>
    Pong = 2,

    /// <summary>"Ping me on these endpoints": sent through the relay so both sides punch holes at once.</summary>
    CallMeMaybe = 3,
}
