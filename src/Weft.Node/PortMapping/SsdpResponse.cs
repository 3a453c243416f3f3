namespace Weft.Node.PortMapping;

/// <summary>One device's answer to an M-SEARCH: where its description is, what it matched, and what it says it runs.</summary>
public sealed record SsdpResponse(Uri Location, string SearchTarget, string? Server);
