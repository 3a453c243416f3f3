using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Weft.Node.PortMapping;

/// <summary>
/// Asks the LAN gateway to forward a public UDP port to ours, through PCP (RFC 6887), NAT-PMP (RFC 6886) or
/// UPnP IGD, in that order; keeps the mapping alive by renewing it at half its lifetime and deletes it on
/// dispose. Answers from other sources than the gateway, with a wrong PCP nonce or malformed are ignored
/// and counted, never thrown.
/// </summary>
public sealed partial class PortMapper : IAsyncDisposable
{
    private const int MaxDatagram = 1100;

    // The order protocols are asked in: PCP is the most capable, UPnP the most costly (discovery, HTTP, XML).
    private static readonly PortMappingProtocol[] Order = [PortMappingProtocol.Pcp, PortMappingProtocol.NatPmp, PortMappingProtocol.Upnp];

    private readonly PortMapperOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PortMapper> _logger;
    private readonly IPEndPoint _server;
    // One exchange at a time: requests share the socket, and answers carry no request id (NAT-PMP).
    private readonly SemaphoreSlim _exchange = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    // Null when UPnP is not among the enabled protocols.
    private readonly UpnpClient? _upnp;
    private readonly Lock _gate = new();
    // RFC 6887 §11.1: renewals and the delete must carry the nonce the mapping was created with.
    private readonly byte[] _mappingNonce = RandomNumberGenerator.GetBytes(PortMappingCodec.PcpNonceLength);
    private Socket? _socket;
    private ITimer? _renewal;
    private PortMappingLease? _current;
    // The gateway's UPnP service once discovered (a rediscovery replaces it); guarded by _gate.
    private UpnpService? _upnpService;
    private bool _disposed;

    /// <summary>Creates a mapper for <see cref="PortMapperOptions.InternalPort"/>; nothing is sent until <see cref="ProbeAsync"/> or <see cref="MapAsync"/>.</summary>
    public PortMapper(PortMapperOptions options, TimeProvider time, ILogger<PortMapper> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Attempts, 1);
        _options = options;
        _time = time;
        _logger = logger;
        _server = new IPEndPoint(options.Gateway, options.GatewayPort);
        if (options.Protocols.HasFlag(PortMappingServices.Upnp))
        {
            _upnp = new UpnpClient(options, time, logger, Counters);
        }
    }

    /// <summary>Raised when the mapping appears, changes (renewal gave another port) or is lost.</summary>
    public event Action<PortMappingLease?>? Changed;

    /// <summary>The mapping in force, or null.</summary>
    public PortMappingLease? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>What was sent and ignored.</summary>
    public PortMapperCounters Counters { get; } = new();

    /// <summary>
    /// Which of the enabled protocols the gateway answers. The PCP probe is a MAP with lifetime 0, which creates
    /// nothing; the UPnP probe discovers the gateway's port mapping service and maps nothing.
    /// </summary>
    public async Task<PortMappingServices> ProbeAsync(CancellationToken cancellationToken)
    {
        var services = PortMappingServices.None;
        // SSDP discovery mostly waits; it runs beside the NAT-PMP/PCP exchanges on its own socket.
        var upnp = _upnp is null ? Task.FromResult<UpnpService?>(null) : DiscoverUpnpAsync(cancellationToken);
        try
        {
            var request = new byte[PortMappingCodec.NatPmpMapRequestLength];
            var length = PortMappingCodec.WriteNatPmpExternalAddressRequest(request);
            if (IsEnabled(PortMappingServices.NatPmp)
                && await ExchangeAsync(request.AsMemory(0, length), PortMappingProtocol.NatPmp, PortMappingCodec.NatPmpOpExternalAddress, default, cancellationToken).ConfigureAwait(false) is not null)
            {
                services |= PortMappingServices.NatPmp;
            }
            if (IsEnabled(PortMappingServices.Pcp) && _options.ClientAddress is not null
                && await PcpAsync(RandomNumberGenerator.GetBytes(PortMappingCodec.PcpNonceLength), 0, 0, null, cancellationToken).ConfigureAwait(false) is not null)
            {
                services |= PortMappingServices.Pcp;
            }
        }
        finally
        {
            if (await upnp.ConfigureAwait(false) is not null)
            {
                services |= PortMappingServices.Upnp;
            }
        }
        return services;
    }

    /// <summary>
    /// Gets a mapping for our UDP port (PCP first when <see cref="PortMapperOptions.ClientAddress"/> is set,
    /// then NAT-PMP, then UPnP IGD; only those in <see cref="PortMapperOptions.Protocols"/>) and schedules its
    /// renewal; null when the gateway maps nothing. The lease says which protocol granted it.
    /// </summary>
    public async Task<PortMappingLease?> MapAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lease = await RequestAsync(Current, cancellationToken).ConfigureAwait(false);
        SetCurrent(lease);
        if (lease is not null)
        {
            Schedule(lease.Lifetime / 2);
        }
        return lease;
    }

    /// <summary>Stops renewing and asks the gateway to delete the mapping (best effort).</summary>
    public async ValueTask DisposeAsync()
    {
        PortMappingLease? lease;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            lease = _current;
            _current = null;
            _renewal?.Dispose();
        }
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (lease is not null)
        {
            var patience = lease.Protocol == PortMappingProtocol.Upnp ? _options.UpnpRequestTimeout : _options.InitialTimeout * (1 << _options.Attempts);
            using var guard = new CancellationTokenSource(patience, _time);
            try
            {
                await DeleteAsync(lease, guard.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or UpnpException or HttpRequestException or IOException)
            {
                Log.DeleteFailed(_logger, lease.External, e.Message);
            }
        }
        _upnp?.Dispose();
        _socket?.Dispose();
        _disposing.Dispose();
    }

    private bool IsEnabled(PortMappingServices protocol) => (_options.Protocols & protocol) != 0;

    /// <summary>
    /// Asks for a mapping: a renewal first through the protocol that granted <paramref name="previous"/> (so it refreshes
    /// that mapping instead of adding another), then PCP, NAT-PMP and UPnP in order. UPnP discovery, mostly waiting,
    /// starts at once beside the others and is dropped when one of them maps.
    /// </summary>
    private async Task<PortMappingLease?> RequestAsync(PortMappingLease? previous, CancellationToken cancellationToken)
    {
        if (previous is not null && await RequestAsync(previous.Protocol, previous, null, cancellationToken).ConfigureAwait(false) is { } renewed)
        {
            return renewed;
        }
        using var stopDiscovery = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // No new search when a probe or an earlier mapping already found the service, or when UPnP was just asked.
        var discovery = _upnp is null || previous?.Protocol == PortMappingProtocol.Upnp || UpnpServiceFound is not null
            ? Task.FromResult<UpnpService?>(null)
            : DiscoverUpnpAsync(stopDiscovery.Token);
        try
        {
            foreach (var protocol in Order)
            {
                if (protocol != previous?.Protocol
                    && await RequestAsync(protocol, previous, discovery, cancellationToken).ConfigureAwait(false) is { } lease)
                {
                    return lease;
                }
            }
            return null;
        }
        finally
        {
            await stopDiscovery.CancelAsync().ConfigureAwait(false);
            await discovery.ConfigureAwait(false);
        }
    }

    private Task<PortMappingLease?> RequestAsync(PortMappingProtocol protocol, PortMappingLease? previous, Task<UpnpService?>? discovery, CancellationToken cancellationToken) => protocol switch
    {
        PortMappingProtocol.Pcp when IsEnabled(PortMappingServices.Pcp) && _options.ClientAddress is not null => RequestPcpAsync(previous, cancellationToken),
        PortMappingProtocol.NatPmp when IsEnabled(PortMappingServices.NatPmp) => RequestNatPmpAsync(previous, cancellationToken),
        PortMappingProtocol.Upnp when _upnp is not null => RequestUpnpAsync(previous, discovery, cancellationToken),
        _ => Task.FromResult<PortMappingLease?>(null),
    };

    private async Task<PortMappingLease?> RequestPcpAsync(PortMappingLease? previous, CancellationToken cancellationToken)
    {
        var suggested = previous?.External;
        if (_options.ClientAddress is not null
            && await PcpAsync(_mappingNonce, _options.LifetimeSeconds, (ushort)(suggested?.Port ?? 0), suggested?.Address, cancellationToken).ConfigureAwait(false) is { } pcp)
        {
            if (pcp.Succeeded && pcp.ExternalAddress is not null && pcp.LifetimeSeconds > 0)
            {
                return Lease(PortMappingProtocol.Pcp, pcp.ExternalAddress, pcp.ExternalPort, pcp.LifetimeSeconds, pcp.Epoch);
            }
            Log.Refused(_logger, PortMappingProtocol.Pcp, pcp.ResultCode);
        }
        return null;
    }

    private async Task<PortMappingLease?> RequestNatPmpAsync(PortMappingLease? previous, CancellationToken cancellationToken)
    {
        var suggested = previous?.External;
        var buffer = new byte[PortMappingCodec.NatPmpMapRequestLength];
        var length = PortMappingCodec.WriteNatPmpExternalAddressRequest(buffer);
        var address = await ExchangeAsync(buffer.AsMemory(0, length), PortMappingProtocol.NatPmp, PortMappingCodec.NatPmpOpExternalAddress, default, cancellationToken).ConfigureAwait(false);
        if (address is not { Succeeded: true, ExternalAddress: not null })
        {
            if (address is not null)
            {
                Log.Refused(_logger, PortMappingProtocol.NatPmp, address.ResultCode);
            }
            return null;
        }
        length = PortMappingCodec.WriteNatPmpMapRequest(buffer, _options.InternalPort, (ushort)(suggested?.Port ?? 0), _options.LifetimeSeconds);
        var map = await ExchangeAsync(buffer.AsMemory(0, length), PortMappingProtocol.NatPmp, PortMappingCodec.NatPmpOpMapUdp, default, cancellationToken).ConfigureAwait(false);
        if (map is not { Succeeded: true } || map.LifetimeSeconds == 0 || map.ExternalPort == 0)
        {
            if (map is not null)
            {
                Log.Refused(_logger, PortMappingProtocol.NatPmp, map.ResultCode);
            }
            return null;
        }
        return Lease(PortMappingProtocol.NatPmp, address.ExternalAddress, map.ExternalPort, map.LifetimeSeconds, map.Epoch);
    }

    private PortMappingLease Lease(PortMappingProtocol protocol, IPAddress address, ushort port, uint lifetimeSeconds, uint epoch)
    {
        var lifetime = TimeSpan.FromSeconds(lifetimeSeconds);
        return new PortMappingLease(protocol, new IPEndPoint(address, port), _options.InternalPort, lifetime, _time.GetUtcNow() + lifetime, epoch);
    }

    private async Task DeleteAsync(PortMappingLease lease, CancellationToken cancellationToken)
    {
        if (lease.Protocol == PortMappingProtocol.Upnp)
        {
            if (_upnp is not null && UpnpServiceFound is { } service)
            {
                await _upnp.DeletePortMappingAsync(service, (ushort)lease.External.Port, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        if (lease.Protocol == PortMappingProtocol.Pcp)
        {
            await PcpAsync(_mappingNonce, 0, (ushort)lease.External.Port, lease.External.Address, cancellationToken).ConfigureAwait(false);
            return;
        }
        var buffer = new byte[PortMappingCodec.NatPmpMapRequestLength];
        // RFC 6886 §3.4: delete is a mapping request with lifetime 0 and suggested external port 0.
        var length = PortMappingCodec.WriteNatPmpMapRequest(buffer, _options.InternalPort, 0, 0);
        await ExchangeAsync(buffer.AsMemory(0, length), PortMappingProtocol.NatPmp, PortMappingCodec.NatPmpOpMapUdp, default, cancellationToken).ConfigureAwait(false);
    }

    private async Task<PortMappingResponse?> PcpAsync(byte[] nonce, uint lifetime, ushort suggestedPort, IPAddress? suggestedAddress, CancellationToken cancellationToken)
    {
        var buffer = new byte[PortMappingCodec.PcpMapRequestLength];
        var length = PortMappingCodec.WritePcpMapRequest(buffer, nonce, _options.ClientAddress!, _options.InternalPort, suggestedPort, suggestedAddress, lifetime);
        return await ExchangeAsync(buffer.AsMemory(0, length), PortMappingProtocol.Pcp, PortMappingCodec.PcpOpMap, nonce, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="request"/> with doubling timeouts until the gateway answers it; null when it never does.</summary>
    private async Task<PortMappingResponse?> ExchangeAsync(ReadOnlyMemory<byte> request, PortMappingProtocol protocol, byte opcode, ReadOnlyMemory<byte> nonce, CancellationToken cancellationToken)
    {
        await _exchange.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var socket = _socket ??= _options.SocketFactory?.Invoke() ?? CreateDefaultSocket();
            var buffer = new byte[MaxDatagram];
            var timeout = _options.InitialTimeout;
            for (var attempt = 0; attempt < _options.Attempts; attempt++, timeout *= 2)
            {
                await socket.SendToAsync(request, _server, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref Counters._requests);
                using var deadline = new CancellationTokenSource(timeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
                try
                {
                    while (true)
                    {
                        var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), linked.Token).ConfigureAwait(false);
                        if (Accept(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint, protocol, opcode, nonce.Span) is { } response)
                        {
                            return response;
                        }
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // No answer in time: retransmit with twice the timeout.
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // ICMP port unreachable: nothing listens on the gateway's port.
                    return null;
                }
            }
            Log.NoAnswer(_logger, protocol, _server);
            return null;
        }
        finally
        {
            _exchange.Release();
        }
    }

    private PortMappingResponse? Accept(ReadOnlySpan<byte> datagram, IPEndPoint from, PortMappingProtocol protocol, byte opcode, ReadOnlySpan<byte> nonce)
    {
        if (!from.Equals(_server))
        {
            Interlocked.Increment(ref Counters._foreignSource);
            Log.ForeignSource(_logger, from);
            return null;
        }
        if (!PortMappingCodec.TryParseResponse(datagram, out var response) || response is null)
        {
            Interlocked.Increment(ref Counters._malformed);
            return null;
        }
        if (response.Protocol != protocol || response.Opcode != opcode)
        {
            // A gateway that speaks only the other protocol answers with an UNSUPP_VERSION error in its own
            // version: expected while probing, so not counted; the exchange then times out as "not offered".
            if (response.Protocol == protocol || response.Succeeded)
            {
                Interlocked.Increment(ref Counters._unexpected);
            }
            return null;
        }
        if (protocol == PortMappingProtocol.Pcp && response.Nonce.Length > 0 && !response.Nonce.Span.SequenceEqual(nonce))
        {
            Interlocked.Increment(ref Counters._wrongNonce);
            Log.WrongNonce(_logger, from);
            return null;
        }
        if (response.Succeeded && response.InternalPort != 0 && response.InternalPort != _options.InternalPort)
        {
            Interlocked.Increment(ref Counters._unexpected);
            return null;
        }
        return response;
    }

    private void Schedule(TimeSpan due)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _renewal?.Dispose();
            _renewal = _time.CreateTimer(static state => _ = ((PortMapper)state!).RenewAsync(), this, due, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task RenewAsync()
    {
        var previous = Current;
        if (previous is null)
        {
            return;
        }
        PortMappingLease? lease;
        try
        {
            lease = await RequestAsync(previous, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        catch (SocketException e)
        {
            Log.RenewalError(_logger, e.Message);
            lease = null;
        }
        if (lease is not null)
        {
            Interlocked.Increment(ref Counters._renewals);
            if (lease.Epoch < previous.Epoch)
            {
                // The gateway's epoch went backwards: it restarted; the fresh request above re-created the mapping.
                Log.GatewayRestarted(_logger, previous.Epoch, lease.Epoch);
            }
            SetCurrent(lease);
            Schedule(lease.Lifetime / 2);
            return;
        }
        Interlocked.Increment(ref Counters._renewalFailures);
        var left = previous.Expires - _time.GetUtcNow();
        if (left > _options.RenewalRetry)
        {
            Schedule(_options.RenewalRetry);
            return;
        }
        SetCurrent(null);
    }

    private void SetCurrent(PortMappingLease? lease)
    {
        bool changed;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            changed = !Equals(_current?.External, lease?.External) || (_current is null) != (lease is null);
            _current = lease;
        }
        if (lease is not null)
        {
            Log.Mapped(_logger, lease.Protocol, lease.External, lease.InternalPort, lease.Lifetime.TotalSeconds);
        }
        if (changed)
        {
            Changed?.Invoke(lease);
        }
    }

    private static Socket CreateDefaultSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return socket;
    }
}
