using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Weft.Node.PortMapping;

/// <summary>
/// Talks UPnP IGD to the LAN gateway for the <see cref="PortMapper"/>: finds it with SSDP, reads its description
/// for the WAN connection service, and posts the SOAP actions that map a port. It only ever contacts LAN
/// addresses (an SSDP answer can come from any device, so LOCATION and control URLs are checked before use),
/// reads bounded answers, and reports every failure as an <see cref="UpnpException"/>.
/// </summary>
internal sealed partial class UpnpClient : IDisposable
{
    private static readonly KeyValuePair<string, string>[] NoArguments = [];

    private readonly PortMapperOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PortMapperCounters _counters;
    private readonly HttpClient _http;
    // The local address of the last HTTP connection: our LAN address as the gateway sees it. Written by the connect callback.
    private volatile IPAddress? _localAddress;

    public UpnpClient(PortMapperOptions options, TimeProvider time, ILogger logger, PortMapperCounters counters)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _counters = counters;
        var handler = new SocketsHttpHandler
        {
            // Never through a proxy from the environment: the gateway is on our LAN.
            UseProxy = false,
            // A redirect could lead off the LAN; every URL we fetch is checked first instead.
            AllowAutoRedirect = false,
            MaxResponseHeadersLength = 16,
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Our address on the LAN as seen by the last HTTP connection to the gateway, or null before the first.</summary>
    public IPAddress? LocalAddress => _localAddress;

    /// <summary>
    /// Searches the LAN with SSDP and returns the first gateway whose description lists a port mapping service,
    /// preferring the default gateway itself; null when none answers within <see cref="PortMapperOptions.UpnpDiscoveryTimeout"/>.
    /// </summary>
    public async Task<UpnpService?> DiscoverAsync(CancellationToken cancellationToken)
    {
        var candidates = await SearchAsync(cancellationToken).ConfigureAwait(false);
        foreach (var location in candidates)
        {
            try
            {
                var document = await SendAsync(new HttpRequestMessage(HttpMethod.Get, location), cancellationToken).ConfigureAwait(false);
                if (document.Status != HttpStatusCode.OK)
                {
                    throw new UpnpException($"description at {location}: HTTP {(int)document.Status}");
                }
                if (!UpnpDescription.TryFindService(document.Body, location, out var service, out var error))
                {
                    throw new UpnpException($"description at {location}: {error}", malformed: true);
                }
                if (!IsLanAddress(service!.ControlUrl))
                {
                    Interlocked.Increment(ref _counters._upnpRefused);
                    throw new UpnpException($"description at {location}: control URL {service.ControlUrl} is not on the LAN");
                }
                Log.Found(_logger, service.ServiceType, service.ControlUrl);
                return service;
            }
            catch (UpnpException e)
            {
                Count(e);
                Log.Failed(_logger, e.Message);
            }
            catch (Exception e) when (IsTransportFailure(e, cancellationToken))
            {
                Log.Failed(_logger, $"description at {location}: {e.Message}");
            }
        }
        return null;
    }

    /// <summary>GetExternalIPAddress: the gateway's public address; throws when it has none or reports a private one (a NAT behind a NAT).</summary>
    public async Task<IPAddress> GetExternalAddressAsync(UpnpService service, CancellationToken cancellationToken)
    {
        const string Action = "GetExternalIPAddress";
        var answer = await InvokeAsync(service, Action, NoArguments, cancellationToken).ConfigureAwait(false);
        if (!answer.TryGetValue("NewExternalIPAddress", out var text) || !IPAddress.TryParse(text, out var address)
            || address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new UpnpException($"{Action}: no IPv4 address in the answer", malformed: true);
        }
        if (!IsPublic(address))
        {
            throw new UpnpException($"{Action}: the gateway's external address {address} is not public (another NAT upstream?)");
        }
        return address;
    }

    /// <summary>AddPortMapping for UDP from <paramref name="externalPort"/> to our port; a lease of 0 asks for a permanent mapping.</summary>
    public Task AddPortMappingAsync(UpnpService service, ushort externalPort, IPAddress internalClient, uint leaseSeconds, CancellationToken cancellationToken) =>
        InvokeAsync(service, "AddPortMapping",
        [
            new("NewRemoteHost", ""),
            new("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)),
            new("NewProtocol", "UDP"),
            new("NewInternalPort", _options.InternalPort.ToString(CultureInfo.InvariantCulture)),
            new("NewInternalClient", internalClient.ToString()),
            new("NewEnabled", "1"),
            new("NewPortMappingDescription", _options.MappingDescription),
            new("NewLeaseDuration", leaseSeconds.ToString(CultureInfo.InvariantCulture)),
        ], cancellationToken);

    /// <summary>DeletePortMapping for our UDP mapping on <paramref name="externalPort"/>.</summary>
    public Task DeletePortMappingAsync(UpnpService service, ushort externalPort, CancellationToken cancellationToken) =>
        InvokeAsync(service, "DeletePortMapping",
        [
            new("NewRemoteHost", ""),
            new("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)),
            new("NewProtocol", "UDP"),
        ], cancellationToken);

    public void Dispose() => _http.Dispose();

    /// <summary>Counts a failure by kind: a fault, something malformed, or neither (HTTP status, refused address).</summary>
    public void Count(UpnpException e)
    {
        if (e.ErrorCode is not null)
        {
            Interlocked.Increment(ref _counters._upnpFaults);
        }
        else if (e.Malformed)
        {
            Interlocked.Increment(ref _counters._upnpMalformed);
        }
    }

    /// <summary>True for what a failing or vanished gateway throws at us, as opposed to our own cancellation.</summary>
    public static bool IsTransportFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or SocketException or IOException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>
    /// Whether we may talk to <paramref name="address"/>: the default gateway itself, a private or link-local
    /// address, or loopback when the gateway is loopback (a test's fake). Never the internet.
    /// </summary>
    internal bool IsLanAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.Equals(_options.Gateway))
        {
            return true;
        }
        if (IPAddress.IsLoopback(address))
        {
            return IPAddress.IsLoopback(_options.Gateway);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // fc00::/7 unique local and fe80::/10 link-local.
            return address.IsIPv6UniqueLocal || address.IsIPv6LinkLocal;
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        // RFC 1918 and 169.254.0.0/16 link-local.
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
    }

    private bool IsLanAddress(Uri url) => IPAddress.TryParse(url.IdnHost, out var address) && IsLanAddress(address);

    /// <summary>Whether a gateway's external address is one peers on the internet could reach.</summary>
    private static bool IsPublic(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return !(b[0] is 0 or 10 or 127 || b[0] >= 224
            || (b[0] == 172 && (b[1] & 0xf0) == 16)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && (b[1] & 0xc0) == 64)); // 100.64.0.0/10, carrier-grade NAT (RFC 6598)
    }

    /// <summary>
    /// Sends the M-SEARCH set twice (start and half-way through the discovery time) and collects the description
    /// URLs of valid answers: as soon as the default gateway answers, only its; otherwise every LAN device that did.
    /// </summary>
    private async Task<List<Uri>> SearchAsync(CancellationToken cancellationToken)
    {
        var found = new List<Uri>();
        using var socket = _options.SocketFactory?.Invoke() ?? CreateUdpSocket();
        if (_options.ClientAddress is { AddressFamily: AddressFamily.InterNetwork } client && IsIPv4Multicast(_options.SsdpEndPoint.Address))
        {
            // Leave through the LAN interface whatever the routing table says about multicast.
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, client.GetAddressBytes());
        }
        var requests = Ssdp.SearchTargets.Select(target => Ssdp.WriteSearch(target, Ssdp.MulticastEndPoint)).ToArray();
        var buffer = new byte[Ssdp.MaxDatagram + 1];
        for (var round = 0; round < 2 && found.Count == 0; round++)
        {
            foreach (var request in requests)
            {
                await socket.SendToAsync(request, _options.SsdpEndPoint, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _counters._upnpRequests);
            }
            using var deadline = new CancellationTokenSource(_options.UpnpDiscoveryTimeout / 2, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), linked.Token).ConfigureAwait(false);
                    if (Accept(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint) is not { } location || found.Contains(location))
                    {
                        continue;
                    }
                    if (location.IdnHost == _options.Gateway.ToString())
                    {
                        return [location];
                    }
                    found.Add(location);
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // This round's time is up.
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // ICMP port unreachable from a unicast target (a test's closed port): nobody answers.
                break;
            }
        }
        if (found.Count == 0)
        {
            Log.NoDevice(_logger, _options.SsdpEndPoint);
        }
        return found;
    }

    private Uri? Accept(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!Ssdp.TryParseResponse(datagram, out var response))
        {
            Interlocked.Increment(ref _counters._upnpMalformed);
            return null;
        }
        // The description must be served by the device that answered, and on the LAN: an answer naming another
        // host could make us fetch URLs on someone's behalf.
        if (!IPAddress.TryParse(response!.Location.IdnHost, out var host) || !host.Equals(from.Address) || !IsLanAddress(host))
        {
            Interlocked.Increment(ref _counters._upnpRefused);
            Log.Refused(_logger, from, response.Location);
            return null;
        }
        return response.Location;
    }

    private async Task<IReadOnlyDictionary<string, string>> InvokeAsync(UpnpService service, string action, KeyValuePair<string, string>[] arguments, CancellationToken cancellationToken)
    {
        if (!IsLanAddress(service.ControlUrl))
        {
            throw new UpnpException($"{action}: control URL {service.ControlUrl} is not on the LAN");
        }
        var request = new HttpRequestMessage(HttpMethod.Post, service.ControlUrl)
        {
            Content = new ByteArrayContent(UpnpSoap.WriteRequest(service.ServiceType, action, arguments)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/xml; charset=\"utf-8\"");
        request.Headers.TryAddWithoutValidation("SOAPAction", UpnpSoap.ActionHeader(service.ServiceType, action));
        var answer = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        // A fault comes with 500; ReadResponse throws it with its code.
        if (answer.Status is not (HttpStatusCode.OK or HttpStatusCode.InternalServerError))
        {
            throw new UpnpException($"{action}: HTTP {(int)answer.Status}");
        }
        var result = UpnpSoap.ReadResponse(answer.Body, action);
        if (answer.Status != HttpStatusCode.OK)
        {
            throw new UpnpException($"{action}: HTTP 500 without a fault", malformed: true);
        }
        return result;
    }

    /// <summary>One HTTP exchange, bounded in time and size; the connection closes after it (gateways do anyway).</summary>
    private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var _ = request;
        request.Headers.ConnectionClose = true;
        using var deadline = new CancellationTokenSource(_options.UpnpRequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        Interlocked.Increment(ref _counters._upnpRequests);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > UpnpDescription.MaxDocumentBytes)
        {
            throw new UpnpException($"{request.RequestUri}: answer of {response.Content.Headers.ContentLength} bytes is too large", malformed: true);
        }
        var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var body = new byte[UpnpDescription.MaxDocumentBytes + 1];
            var length = 0;
            int read;
            while (length < body.Length && (read = await stream.ReadAsync(body.AsMemory(length), linked.Token).ConfigureAwait(false)) > 0)
            {
                length += read;
            }
            if (length > UpnpDescription.MaxDocumentBytes)
            {
                throw new UpnpException($"{request.RequestUri}: answer is larger than {UpnpDescription.MaxDocumentBytes} bytes", malformed: true);
            }
            return (response.StatusCode, body.AsSpan(0, length).ToArray());
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // URLs are checked before every request; this is the last line: only IP literals on the LAN, never a name to resolve.
        if (!IPAddress.TryParse(context.DnsEndPoint.Host, out var address) || !IsLanAddress(address))
        {
            throw new UpnpException($"refusing to connect to {context.DnsEndPoint.Host}: not a LAN address");
        }
        var socket = _options.TcpSocketFactory?.Invoke() ?? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
            _localAddress = ((IPEndPoint)socket.LocalEndPoint!).Address;
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool IsIPv4Multicast(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        return address.AddressFamily == AddressFamily.InterNetwork && address.TryWriteBytes(b, out _) && b[0] is >= 224 and <= 239;
    }

    private static Socket CreateUdpSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return socket;
    }
}
