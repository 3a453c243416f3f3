using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Weft.Core.Control;
using Weft.Relay.Stun;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

// Endpoint discovery: STUN on the shared socket (so the reflexive port is the one WireGuard's datagrams get), interface addresses, netcheck.
public sealed partial class MagicBind
{
    private readonly StunClient _stun = new();
    private readonly ConcurrentDictionary<TransactionId, TaskCompletionSource<IPEndPoint>> _stunWaits = new();

    private volatile StrongBox<UdpEndpoint>? _mapped;

    /// <summary>The public endpoint a router maps to our port (NAT-PMP, PCP, UPnP); null when none. Offered first from the next netcheck on.</summary>
    public void SetMappedEndpoint(UdpEndpoint? endpoint) => _mapped = endpoint is { } e ? new StrongBox<UdpEndpoint>(e) : null;

    /// <summary>STUN responses that were not answers to our requests.</summary>
    public long StunStrangers => _stun.Strangers;

    /// <summary>Replaces the candidate endpoints advertised to peers (for endpoints found elsewhere, e.g. port mapping).</summary>
    public void SetLocalEndpoints(IEnumerable<UdpEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        _localEndpoints = endpoints.Distinct().Take(PathConstants.MaxCallMeMaybeEndpoints).ToArray();
    }

    /// <summary>
    /// Asks one STUN server, through the WireGuard socket, for our reflexive address: retransmits RFC 8489's way
    /// (500 ms doubling, 3 tries); null when it did not answer.
    /// </summary>
    public async Task<StunAnswer?> StunAsync(IPEndPoint server, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(server);
        var request = new byte[StunConstants.MaxMessageLength];
        var length = _stun.CreateRequest(request, out var transaction);
        var answered = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        _stunWaits[transaction] = answered;
        var destination = UdpEndpoint.From(server);
        var start = _time.GetTimestamp();
        var rto = StunConstants.InitialRto;
        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                if (_inbound is null)
                {
                    return null;
                }
                _inner.Send([request], [length], destination);
                try
                {
                    var mapped = await answered.Task.WaitAsync(rto, _time, ct).ConfigureAwait(false);
                    LogStunMapped(_logger, server.ToString(), mapped.ToString());
                    return new StunAnswer(server, mapped, _time.GetElapsedTime(start));
                }
                catch (TimeoutException)
                {
                    rto *= 2;
                }
            }
            return null;
        }
        finally
        {
            _stunWaits.TryRemove(transaction, out _);
        }
    }

    /// <summary>
    /// Runs netcheck against <paramref name="map"/>'s STUN servers through this socket and sets <see cref="LocalEndpoints"/>
    /// to the interface addresses with our port plus the public addresses the servers saw.
    /// </summary>
    public async Task<NetcheckReport> NetcheckAsync(RelayMap map, CancellationToken ct)
    {
        var report = await Netcheck.RunAsync(map, StunAsync, ct).ConfigureAwait(false);
        // Two servers saw different ports: we are the hard side of any pair with an easy peer (birthday probing).
        HardNat = report.MappingVariesByDestination == true;
        var endpoints = new List<UdpEndpoint>();
        if (_mapped is { } mapped)
        {
            endpoints.Add(mapped.Value);
        }
        foreach (var answer in report.Answers)
        {
            endpoints.Add(UdpEndpoint.From(answer.Mapped));
        }
        endpoints.AddRange(InterfaceEndpoints(_port));
        SetLocalEndpoints(endpoints);
        return report;
    }

    /// <summary>Every up, non-loopback interface's unicast address (IPv6 link-local left out: it needs a scope) with <paramref name="port"/>.</summary>
    public static IReadOnlyList<UdpEndpoint> InterfaceEndpoints(ushort port)
    {
        var endpoints = new List<UdpEndpoint>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (address.AddressFamily == AddressFamily.InterNetworkV6 && (address.IsIPv6LinkLocal || IsTailnet(address))
                    || address.AddressFamily == AddressFamily.InterNetwork && IsTailnet(address))
                {
                    continue;
                }
                endpoints.Add(UdpEndpoint.From(new IPEndPoint(address, port)));
            }
        }
        return endpoints;
    }

    // The tunnel's own addresses must never be offered as a way to reach the tunnel: tailnet IPv4 is in 100.64.0.0/10
    // and tailnet IPv6 in a ULA prefix, so both ranges are left out (a peer on the same LAN is found by its IPv4 or global IPv6).
    private static bool IsTailnet(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? bytes[0] == 100 && (bytes[1] & 0xc0) == 64 : (bytes[0] & 0xfe) == 0xfc;
    }

    /// <summary>
    /// Takes a STUN response meant for one of our requests, and drops (counted in <see cref="StunStrangers"/>) other
    /// STUN with a valid FINGERPRINT; false lets the datagram go on to WireGuard (a WireGuard message looks like STUN
    /// only by a 2^-32 accident of its receiver index, and then its last four bytes are not the CRC of the rest).
    /// </summary>
    private bool TryHandleStun(ReadOnlySpan<byte> datagram)
    {
        if (!_stun.TryAcceptResponse(datagram, out var transaction, out var mapped))
        {
            return StunMessage.CheckFingerprint(datagram) == FingerprintCheck.Valid;
        }
        if (_stunWaits.TryRemove(transaction, out var waiter))
        {
            waiter.TrySetResult(mapped);
        }
        return true;
    }
}
