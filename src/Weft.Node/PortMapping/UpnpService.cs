namespace Weft.Node.PortMapping;

/// <summary>A gateway's port mapping service: its type (WANIPConnection:1/:2 or WANPPPConnection:1) and the URL SOAP actions are posted to.</summary>
public sealed record UpnpService(string ServiceType, Uri ControlUrl);
