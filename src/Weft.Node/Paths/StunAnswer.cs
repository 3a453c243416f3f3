using System.Net;

namespace Weft.Node.Paths;

/// <summary>What one STUN server said: our address as it saw it, and the round trip.</summary>
public sealed record StunAnswer(IPEndPoint Server, IPEndPoint Mapped, TimeSpan RoundTrip);
