using System.Net;
using System.Text;
using System.Xml.Linq;
using Weft.Node.PortMapping;

namespace Weft.Node.Tests.PortMapping;

/// <summary>SSDP answers, device descriptions and SOAP envelopes decoded from real-looking and hostile input.</summary>
public sealed class UpnpCodecTests
{
    private static readonly Uri Location = new("http://10.0.0.1:5000/rootDesc.xml");

    [Fact]
    public void Ssdp_Search_CarriesTargetManAndMx()
    {
        var text = Encoding.ASCII.GetString(Ssdp.WriteSearch(FakeIgd.ServiceType, Ssdp.MulticastEndPoint));

        Assert.StartsWith("M-SEARCH * HTTP/1.1\r\n", text, StringComparison.Ordinal);
        Assert.Contains("HOST: 239.255.255.250:1900\r\n", text, StringComparison.Ordinal);
        Assert.Contains("MAN: \"ssdp:discover\"\r\n", text, StringComparison.Ordinal);
        Assert.Contains("MX: 1\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"ST: {FakeIgd.ServiceType}\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ssdp_Answer_HeadersAnyCase()
    {
        var datagram = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\ncache-control: max-age=1800\r\nlocation:http://10.0.0.1:5000/rootDesc.xml\r\nSt: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nServer: Linux UPnP/1.1 MiniUPnPd/2.3\r\n\r\n");

        Assert.True(Ssdp.TryParseResponse(datagram, out var response));
        Assert.Equal(Location, response!.Location);
        Assert.Equal("urn:schemas-upnp-org:device:InternetGatewayDevice:1", response.SearchTarget);
        Assert.Equal("Linux UPnP/1.1 MiniUPnPd/2.3", response.Server);
    }

    [Theory]
    [InlineData("HTTP/1.1 404 Not Found\r\nLOCATION: http://10.0.0.1/d.xml\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: https://10.0.0.1/d.xml\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: /d.xml\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/d.xml\r\nST: urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n")]
    [InlineData("NOTIFY * HTTP/1.1\r\nLOCATION: http://10.0.0.1/d.xml\r\nNT: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    [InlineData("")]
    public void Ssdp_NotAUsableAnswer_False(string text)
    {
        Assert.False(Ssdp.TryParseResponse(Encoding.ASCII.GetBytes(text), out var response));
        Assert.Null(response);
    }

    [Fact]
    public void Ssdp_BinaryOrOversized_False()
    {
        Assert.False(Ssdp.TryParseResponse([0x48, 0x54, 0x00, 0xff], out _));
        Assert.False(Ssdp.TryParseResponse(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX: " + new string('a', 3000) + "\r\n\r\n"), out _));
    }

    [Fact]
    public void Description_NestedService_ControlUrlResolvedAgainstLocation()
    {
        Assert.True(UpnpDescription.TryFindService(Utf8(FakeIgd.DefaultDescription("/ctl/IPConn")), Location, out var service, out var error), error);

        Assert.Equal(FakeIgd.ServiceType, service!.ServiceType);
        Assert.Equal(new Uri("http://10.0.0.1:5000/ctl/IPConn"), service.ControlUrl);
    }

    [Fact]
    public void Description_UrlBase_UsedForRelativeControlUrl()
    {
        var document = FakeIgd.DefaultDescription("ctl/IPConn", urlBase: "<URLBase>http://10.0.0.1:49152/</URLBase>");

        Assert.True(UpnpDescription.TryFindService(Utf8(document), Location, out var service, out var error), error);

        Assert.Equal(new Uri("http://10.0.0.1:49152/ctl/IPConn"), service!.ControlUrl);
    }

    [Fact]
    public void Description_SeveralServices_PrefersIpOverPpp()
    {
        var document = $"""
            <root xmlns="urn:schemas-upnp-org:device-1-0"><device><serviceList>
            <service><serviceType>{UpnpDescription.WanPppConnection1}</serviceType><controlURL>/ppp</controlURL></service>
            <service><serviceType>{UpnpDescription.WanIpConnection1}</serviceType><controlURL>/ip</controlURL></service>
            </serviceList></device></root>
            """;

        Assert.True(UpnpDescription.TryFindService(Utf8(document), Location, out var service, out _));

        Assert.Equal(UpnpDescription.WanIpConnection1, service!.ServiceType);
        Assert.Equal("/ip", service.ControlUrl.AbsolutePath);
    }

    [Fact]
    public void Description_PppOnly_Found()
    {
        Assert.True(UpnpDescription.TryFindService(Utf8(FakeIgd.DefaultDescription("/ppp", UpnpDescription.WanPppConnection1)), Location, out var service, out _));
        Assert.Equal(UpnpDescription.WanPppConnection1, service!.ServiceType);
    }

    [Theory]
    [InlineData("<root><device><serviceList><service><serviceType>", "well-formed")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE root [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><root>&x;</root>", "well-formed")]
    [InlineData("<root><device/></root>", "no WANIPConnection")]
    [InlineData("<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>ftp://10.0.0.1/x</controlURL></service></root>", "not an http URL")]
    [InlineData("<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL><b>nested</b></controlURL></service></root>", "well-formed")]
    public void Description_Unusable_FalseWithReason(string document, string reason)
    {
        Assert.False(UpnpDescription.TryFindService(Utf8(document), Location, out var service, out var error));

        Assert.Null(service);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_TooLarge_False()
    {
        var document = "<root>" + new string(' ', UpnpDescription.MaxDocumentBytes) + "</root>";

        Assert.False(UpnpDescription.TryFindService(Utf8(document), Location, out _, out var error));
        Assert.Contains("larger", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Soap_Request_ArgumentsInOrderAndEscaped()
    {
        var body = UpnpSoap.WriteRequest(FakeIgd.ServiceType, "AddPortMapping", [new("NewExternalPort", "41641"), new("NewPortMappingDescription", "a<b&c")]);

        var document = XDocument.Parse(Encoding.UTF8.GetString(body));
        XNamespace envelope = "http://schemas.xmlsoap.org/soap/envelope/";
        var action = document.Root!.Element(envelope + "Body")!.Element(XName.Get("AddPortMapping", FakeIgd.ServiceType))!;
        Assert.Equal(["NewExternalPort", "NewPortMappingDescription"], action.Elements().Select(e => e.Name.LocalName));
        Assert.Equal("a<b&c", action.Elements().Last().Value);
        Assert.Equal("", action.Elements().First().Name.NamespaceName);
        Assert.Equal("\"" + FakeIgd.ServiceType + "#AddPortMapping\"", UpnpSoap.ActionHeader(FakeIgd.ServiceType, "AddPortMapping"));
    }

    [Fact]
    public void Soap_Response_ArgumentsByName()
    {
        var answer = UpnpSoap.ReadResponse(Utf8(FakeIgd.ActionResponse("GetExternalIPAddress", "<NewExternalIPAddress> 203.0.113.7 </NewExternalIPAddress>").Body), "GetExternalIPAddress");

        Assert.Equal("203.0.113.7", answer["NewExternalIPAddress"]);
    }

    [Fact]
    public void Soap_EmptyResponse_NoArguments()
    {
        Assert.Empty(UpnpSoap.ReadResponse(Utf8(FakeIgd.ActionResponse("AddPortMapping").Body), "AddPortMapping"));
        var selfClosing = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:AddPortMappingResponse xmlns:u=\"x\"/></s:Body></s:Envelope>";
        Assert.Empty(UpnpSoap.ReadResponse(Utf8(selfClosing), "AddPortMapping"));
    }

    [Fact]
    public void Soap_Fault_ThrowsWithUpnpErrorCode()
    {
        var e = Assert.Throws<UpnpException>(() => UpnpSoap.ReadResponse(Utf8(FakeIgd.Fault(718, "ConflictInEntry").Body), "AddPortMapping"));

        Assert.Equal(UpnpSoap.ConflictInEntry, e.ErrorCode);
        Assert.False(e.Malformed);
        Assert.Contains("718 ConflictInEntry", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultstring>x</faultstring></s:Fault></s:Body></s:Envelope>")]
    [InlineData("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:OtherResponse xmlns:u=\"x\"/></s:Body></s:Envelope>")]
    [InlineData("<Envelope><Body><u:AddPortMappingResponse xmlns:u=\"x\"/></Body></Envelope>")]
    [InlineData("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:AddPortMappingResponse xmlns:u=\"x\">")]
    [InlineData("")]
    public void Soap_Malformed_ThrowsMarkedMalformed(string document)
    {
        var e = Assert.Throws<UpnpException>(() => UpnpSoap.ReadResponse(Utf8(document), "AddPortMapping"));

        Assert.True(e.Malformed, e.Message);
        Assert.Null(e.ErrorCode);
    }

    [Theory]
    [InlineData("192.168.1.1", true)]
    [InlineData("10.20.30.40", true)]
    [InlineData("172.31.0.1", true)]
    [InlineData("169.254.1.1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("203.0.113.1", true)]
    public void LanAddressPolicy_PrivateOrTheGatewayOnly(string address, bool allowed)
    {
        // The gateway here is 203.0.113.1 (a router with a public LAN address is allowed as itself, nothing else public is).
        using var client = new UpnpClient(
            new PortMapperOptions { Gateway = IPAddress.Parse("203.0.113.1"), InternalPort = 1 },
            TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            new PortMapperCounters());

        Assert.Equal(allowed, client.IsLanAddress(IPAddress.Parse(address)));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
