using System.Xml;

namespace Weft.Node.PortMapping;

/// <summary>
/// Reads a UPnP device description (the XML at an SSDP LOCATION) for the service that maps ports: a
/// WANIPConnection or WANPPPConnection anywhere in the device tree, and its control URL. Hostile input is
/// expected (any LAN device can answer SSDP): DTDs are refused, size is capped, and errors come back as text.
/// </summary>
public static class UpnpDescription
{
    /// <summary>IGD:2's IP connection service (adds AddAnyPortMapping; AddPortMapping is unchanged).</summary>
    public const string WanIpConnection2 = "urn:schemas-upnp-org:service:WANIPConnection:2";

    /// <summary>IGD:1's IP connection service, what most gateways offer.</summary>
    public const string WanIpConnection1 = "urn:schemas-upnp-org:service:WANIPConnection:1";

    /// <summary>The PPP flavour (DSL modems); same port mapping actions.</summary>
    public const string WanPppConnection1 = "urn:schemas-upnp-org:service:WANPPPConnection:1";

    /// <summary>Largest description or SOAP answer read, in bytes. Real descriptions are a few KiB; our choice.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    // Preference when a device lists several: the newest IP service first, PPP last.
    private static readonly string[] ServicePreference = [WanIpConnection2, WanIpConnection1, WanPppConnection1];

    /// <summary>Settings for every XML document from the network: no DTD (no entity expansion), no external resolution, bounded size.</summary>
    internal static XmlReaderSettings ReaderSettings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxDocumentBytes,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
    };

    /// <summary>
    /// Finds the port mapping service in <paramref name="document"/>, fetched from <paramref name="location"/>
    /// (relative control URLs resolve against the description's URLBase, else against the location).
    /// Returns false with <paramref name="error"/> saying why when the document is not XML or lists no such service.
    /// </summary>
    public static bool TryFindService(ReadOnlySpan<byte> document, Uri location, out UpnpService? service, out string? error)
    {
        ArgumentNullException.ThrowIfNull(location);
        service = null;
        if (document.Length > MaxDocumentBytes)
        {
            error = $"description is larger than {MaxDocumentBytes} bytes";
            return false;
        }
        string? urlBase = null;
        var found = new List<(string Type, string ControlUrl)>();
        try
        {
            using var stream = new MemoryStream(document.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, ReaderSettings);
            reader.MoveToContent();
            while (!reader.EOF)
            {
                // ReadElementContentAsString and a finished subtree leave the reader on the next node: read on only otherwise.
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "URLBase" && reader.Depth == 1)
                {
                    urlBase = reader.ReadElementContentAsString().Trim();
                    continue;
                }
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "service")
                {
                    using (var subtree = reader.ReadSubtree())
                    {
                        if (ReadService(subtree) is { } entry)
                        {
                            found.Add(entry);
                        }
                    }
                }
                reader.Read();
            }
        }
        catch (XmlException e)
        {
            error = "description is not well-formed XML: " + e.Message;
            return false;
        }
        foreach (var type in ServicePreference)
        {
            foreach (var (foundType, controlUrl) in found)
            {
                if (foundType != type)
                {
                    continue;
                }
                var baseUri = Uri.TryCreate(urlBase, UriKind.Absolute, out var parsedBase) && parsedBase.Scheme == Uri.UriSchemeHttp ? parsedBase : location;
                if (!Uri.TryCreate(baseUri, controlUrl, out var control) || control.Scheme != Uri.UriSchemeHttp)
                {
                    error = $"the {type} control URL '{controlUrl}' is not an http URL";
                    return false;
                }
                service = new UpnpService(type, control);
                error = null;
                return true;
            }
        }
        error = "description lists no WANIPConnection or WANPPPConnection service";
        return false;
    }

    private static (string Type, string ControlUrl)? ReadService(XmlReader reader)
    {
        string? type = null;
        string? controlUrl = null;
        // On the service element, then its first child.
        reader.Read();
        reader.Read();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1 && reader.LocalName is "serviceType" or "controlURL")
            {
                if (reader.LocalName == "serviceType")
                {
                    type = reader.ReadElementContentAsString().Trim();
                }
                else
                {
                    controlUrl = reader.ReadElementContentAsString().Trim();
                }
                continue;
            }
            reader.Read();
        }
        return type is null || string.IsNullOrEmpty(controlUrl) ? null : (type, controlUrl);
    }
}
