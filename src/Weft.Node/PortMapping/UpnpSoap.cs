using System.Globalization;
using System.Text;
using System.Xml;

namespace Weft.Node.PortMapping;

/// <summary>
/// The SOAP 1.1 envelopes of UPnP control (UPnP Device Architecture §3.2): requests for an action with its
/// arguments in order, and decoding the action's answer or its UPnPError fault.
/// </summary>
public static class UpnpSoap
{
    /// <summary>UPnP error 718 ConflictInEntry: the external port is mapped to another client.</summary>
    public const int ConflictInEntry = 718;

    /// <summary>UPnP error 724 SamePortValuesRequired: the gateway maps only to the same internal port.</summary>
    public const int SamePortValuesRequired = 724;

    /// <summary>UPnP error 725 OnlyPermanentLeasesSupported: the lease duration must be 0.</summary>
    public const int OnlyPermanentLeasesSupported = 725;

    private const string EnvelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/";
    private const string EncodingStyle = "http://schemas.xmlsoap.org/soap/encoding/";

    /// <summary>The SOAPACTION header value for <paramref name="action"/> of <paramref name="serviceType"/>, quoted as the specification writes it.</summary>
    public static string ActionHeader(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    /// <summary>Encodes a request for <paramref name="action"/>; arguments go in the order given, which is the order the service defines.</summary>
    public static byte[] WriteRequest(string serviceType, string action, IReadOnlyList<KeyValuePair<string, string>> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceType);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(arguments);
        using var buffer = new MemoryStream();
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false };
        using (var writer = XmlWriter.Create(buffer, settings))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement("s", "Envelope", EnvelopeNamespace);
            writer.WriteAttributeString("s", "encodingStyle", EnvelopeNamespace, EncodingStyle);
            writer.WriteStartElement("s", "Body", EnvelopeNamespace);
            writer.WriteStartElement("u", action, serviceType);
            foreach (var (name, value) in arguments)
            {
                // Arguments are unqualified elements (no namespace), as gateways expect them.
                writer.WriteElementString(name, value);
            }
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Decodes the answer to <paramref name="action"/>: its output arguments by name. A UPnPError fault throws
    /// <see cref="UpnpException"/> with the error code; anything else unusable throws one marked malformed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadResponse(ReadOnlySpan<byte> document, string action)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        if (document.Length > UpnpDescription.MaxDocumentBytes)
        {
            throw new UpnpException($"{action}: answer is larger than {UpnpDescription.MaxDocumentBytes} bytes", malformed: true);
        }
        try
        {
            using var stream = new MemoryStream(document.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, UpnpDescription.ReaderSettings);
            if (!reader.ReadToFollowing("Body", EnvelopeNamespace) || !reader.Read() || reader.NodeType != XmlNodeType.Element)
            {
                throw new UpnpException($"{action}: answer is no SOAP envelope with a body", malformed: true);
            }
            if (reader.LocalName == "Fault")
            {
                throw ReadFault(reader, action);
            }
            if (reader.LocalName != action + "Response")
            {
                throw new UpnpException($"{action}: answer is {reader.LocalName}, not {action}Response", malformed: true);
            }
            var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
            var depth = reader.Depth;
            if (reader.IsEmptyElement)
            {
                return arguments;
            }
            reader.Read();
            while (!reader.EOF && reader.Depth > depth)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Depth == depth + 1)
                {
                    var name = reader.LocalName;
                    arguments[name] = reader.ReadElementContentAsString().Trim();
                    continue;
                }
                reader.Read();
            }
            return arguments;
        }
        catch (XmlException e)
        {
            throw new UpnpException($"{action}: answer is not well-formed XML: {e.Message}", malformed: true);
        }
    }

    private static UpnpException ReadFault(XmlReader reader, string action)
    {
        int? code = null;
        string? description = null;
        using var fault = reader.ReadSubtree();
        while (!fault.EOF)
        {
            if (fault.NodeType == XmlNodeType.Element && fault.LocalName is "errorCode" or "errorDescription")
            {
                if (fault.LocalName == "errorCode")
                {
                    code = int.TryParse(fault.ReadElementContentAsString().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
                }
                else
                {
                    description = fault.ReadElementContentAsString().Trim();
                }
                continue;
            }
            fault.Read();
        }
        if (code is null)
        {
            return new UpnpException($"{action}: SOAP fault without a UPnP error code", malformed: true);
        }
        // The description is the gateway's text: keep it short in our messages and logs.
        var text = description is null ? "" : " " + (description.Length > 100 ? description[..100] : description);
        return new UpnpException($"{action}: UPnP error {code}{text}", errorCode: code);
    }
}
