namespace Weft.Relay.Protocol;

/// <summary>The other side broke the relay protocol: bad handshake, wrong key, malformed or oversized frame.</summary>
public sealed class RelayProtocolException(string message) : Exception(message);
