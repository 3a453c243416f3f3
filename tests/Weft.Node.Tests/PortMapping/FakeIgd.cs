using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;

namespace Weft.Node.Tests.PortMapping;

/// <summary>
/// A UPnP Internet Gateway Device on loopback: an SSDP responder (a UDP socket the mapper's search is pointed at)
/// and a minimal HTTP/1.1 server serving a description and the WANIPConnection:1 SOAP actions over a mapping
/// table. Every request is recorded; <see cref="Override"/> lets a test answer anything it likes instead.
/// </summary>
internal sealed class FakeIgd : IAsyncDisposable
{
    public const string ServiceType = "urn:schemas-upnp-org:service:WANIPConnection:1";
    public const string ControlPath = "/ctl/IPConn";

    private readonly Socket _ssdp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly TcpListener _http = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ssdpLoop;
    private readonly Task _httpLoop;

    public FakeIgd()
    {
        _ssdp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _http.Start();
        Description = DefaultDescription(ControlPath);
        _ssdpLoop = Task.Run(SsdpLoopAsync);
        _httpLoop = Task.Run(HttpLoopAsync);
    }

    /// <summary>Where the mapper's SSDP searches should go.</summary>
    public IPEndPoint SsdpEndPoint => (IPEndPoint)_ssdp.LocalEndPoint!;

    public int HttpPort => ((IPEndPoint)_http.LocalEndpoint).Port;

    public Uri Location => new($"http://127.0.0.1:{HttpPort}/rootDesc.xml");

    /// <summary>The SSDP answers to one search (given its ST); defaults to one proper answer pointing at <see cref="Location"/>.</summary>
    public Func<string, IEnumerable<byte[]>>? SsdpAnswers { get; set; }

    /// <summary>The description document served at /rootDesc.xml.</summary>
    public string Description { get; set; }

    public string ExternalAddress { get; set; } = "203.0.113.7";

    /// <summary>The path SOAP actions are served on (the description must name it too).</summary>
    public string ServedControlPath { get; set; } = ControlPath;

    /// <summary>Answers a request before the built-in handling does, or returns null to let it.</summary>
    public Func<FakeHttpRequest, FakeHttpResponse?>? Override { get; set; }

    /// <summary>Error code to fault AddPortMapping with, given its arguments; null grants it.</summary>
    public Func<IReadOnlyDictionary<string, string>, int?> AddPortMappingFault { get; set; } = _ => null;

    public ConcurrentQueue<string> Searches { get; } = new();

    public ConcurrentQueue<FakeHttpRequest> Requests { get; } = new();

    /// <summary>Current mappings by external port: the AddPortMapping arguments that made each.</summary>
    public ConcurrentDictionary<int, IReadOnlyDictionary<string, string>> Mappings { get; } = new();

    public IEnumerable<FakeHttpRequest> Actions(string action) => Requests.Where(r => r.SoapAction == action);

    public static string DefaultDescription(string controlUrl, string serviceType = ServiceType, string urlBase = "") => $"""
        <?xml version="1.0"?>
        <root xmlns="urn:schemas-upnp-org:device-1-0">
          <specVersion><major>1</major><minor>0</minor></specVersion>
          {urlBase}
          <device>
            <deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
            <serviceList>
              <service>
                <serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>
                <controlURL>/ctl/L3F</controlURL>
              </service>
            </serviceList>
            <deviceList>
              <device>
                <deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
                <deviceList>
                  <device>
                    <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
                    <serviceList>
                      <service>
                        <serviceType>{serviceType}</serviceType>
                        <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
                        <controlURL>{controlUrl}</controlURL>
                        <eventSubURL>/evt/IPConn</eventSubURL>
                        <SCPDURL>/WANIPCn.xml</SCPDURL>
                      </service>
                    </serviceList>
                  </device>
                </deviceList>
              </device>
            </deviceList>
          </device>
        </root>
        """;

    public static byte[] SsdpAnswer(string searchTarget, Uri location) => Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\n" +
        "CACHE-CONTROL: max-age=120\r\n" +
        $"ST: {searchTarget}\r\n" +
        $"USN: uuid:00000000-0000-0000-0000-000000000001::{searchTarget}\r\n" +
        "EXT:\r\n" +
        "SERVER: Fake/1.0 UPnP/1.1 FakeIgd/1.0\r\n" +
        $"LOCATION: {location}\r\n" +
        "\r\n");

    public static FakeHttpResponse Fault(int code, string description) => new(500, $"""
        <?xml version="1.0"?>
        <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
        <s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>
        <detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode><errorDescription>{description}</errorDescription></UPnPError></detail>
        </s:Fault></s:Body></s:Envelope>
        """);

    public static FakeHttpResponse ActionResponse(string action, string arguments = "") => new(200, $"""
        <?xml version="1.0"?>
        <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
        <s:Body><u:{action}Response xmlns:u="{ServiceType}">{arguments}</u:{action}Response></s:Body></s:Envelope>
        """);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _http.Stop();
        _ssdp.Dispose();
        foreach (var loop in new[] { _ssdpLoop, _httpLoop })
        {
            try
            {
                await loop;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped while waiting.
            }
        }
        _stop.Dispose();
    }

    private async Task SsdpLoopAsync()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            var received = await _ssdp.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            var request = Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes);
            var target = request.Split("\r\n").FirstOrDefault(l => l.StartsWith("ST:", StringComparison.Ordinal))?[3..].Trim() ?? "";
            Searches.Enqueue(target);
            foreach (var answer in (SsdpAnswers ?? (st => [SsdpAnswer(st, Location)]))(target))
            {
                await _ssdp.SendToAsync(answer, received.RemoteEndPoint, _stop.Token);
            }
        }
    }

    private async Task HttpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _http.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var request = await ReadRequestAsync(stream);
            Requests.Enqueue(request);
            var response = Override?.Invoke(request) ?? Handle(request);
            if (response.Status != 0)
            {
                await WriteResponseAsync(stream, response);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or FormatException)
        {
            // The client went away or sent something the fake does not parse: drop the connection.
        }
    }

    private FakeHttpResponse Handle(FakeHttpRequest request)
    {
        if (request.Method == "GET" && request.Path == "/rootDesc.xml")
        {
            return new FakeHttpResponse(200, Description);
        }
        if (request.Method != "POST" || request.Path != ServedControlPath)
        {
            return new FakeHttpResponse(404, "not found");
        }
        var arguments = request.Arguments;
        switch (request.SoapAction)
        {
            case "GetExternalIPAddress":
                return ActionResponse("GetExternalIPAddress", $"<NewExternalIPAddress>{ExternalAddress}</NewExternalIPAddress>");
            case "AddPortMapping":
                var port = int.Parse(arguments["NewExternalPort"], CultureInfo.InvariantCulture);
                if (AddPortMappingFault(arguments) is { } code)
                {
                    return Fault(code, "refused by the test");
                }
                Mappings[port] = arguments;
                return ActionResponse("AddPortMapping");
            case "DeletePortMapping":
                return Mappings.TryRemove(int.Parse(arguments["NewExternalPort"], CultureInfo.InvariantCulture), out var _)
                    ? ActionResponse("DeletePortMapping")
                    : Fault(714, "NoSuchEntryInArray");
            default:
                return Fault(401, "Invalid Action");
        }
    }

    private static async Task<FakeHttpRequest> ReadRequestAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one) == 0 || head.Count > 65536)
            {
                throw new IOException("request head cut short");
            }
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var body = new byte[headers.TryGetValue("Content-Length", out var length) ? int.Parse(length, CultureInfo.InvariantCulture) : 0];
        await stream.ReadExactlyAsync(body);
        return new FakeHttpRequest(requestLine[0], requestLine[1], headers, Encoding.UTF8.GetString(body));
    }

    private static async Task WriteResponseAsync(NetworkStream stream, FakeHttpResponse response)
    {
        var body = response.RawBody ?? Encoding.UTF8.GetBytes(response.Body);
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} X\r\n");
        head.Append("Content-Type: text/xml; charset=\"utf-8\"\r\nConnection: close\r\n");
        if (!response.OmitContentLength)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        }
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await stream.WriteAsync(body);
    }
}

/// <summary>A request the fake IGD received; for SOAP, the action and its arguments.</summary>
internal sealed record FakeHttpRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The action named by the SOAPAction header ("urn:...#Action"), or null.</summary>
    public string? SoapAction => Headers.TryGetValue("SOAPAction", out var value) ? value.Trim('"').Split('#').Last() : null;

    /// <summary>The action's arguments by element name.</summary>
    public IReadOnlyDictionary<string, string> Arguments =>
        XDocument.Parse(Body).Descendants().Single(e => e.Name.LocalName == SoapAction).Elements().ToDictionary(e => e.Name.LocalName, e => e.Value);
}

/// <summary>
/// What the fake IGD answers; <see cref="RawBody"/> overrides <see cref="Body"/>, and the length header can be left out
/// (body until close). Status 0 closes the connection without an answer, as a gateway that went away.
/// </summary>
internal sealed record FakeHttpResponse(int Status, string Body, byte[]? RawBody = null, bool OmitContentLength = false);
