using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using ControlNode = Weft.Core.Control.Node;

namespace Weft.Node.Dns;

/// <summary>
/// The node's DNS server at 100.100.100.100 (and its IPv6 twin): answers MagicDNS names of the tailnet
/// from the netmap, forwards everything else to the configured upstreams (split DNS by suffix), over UDP
/// and TCP. Bad queries get FORMERR/NOTIMP or silence and are counted; nothing a client sends stops it.
/// </summary>
public sealed partial class MagicDns : IAsyncDisposable
{
    private readonly MagicDnsOptions _options;
    private readonly ILogger<MagicDns> _logger;
    private readonly DnsForwarder _forwarder;
    private readonly DnsCache _cache;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly List<IPEndPoint> _bound = [];
    private DnsTable _table = DnsTable.Empty;
    private int _forwardsInFlight;
    private int _tcpClients;
    private string _lastProblems = "";

    public MagicDns(MagicDnsOptions options, ILogger<MagicDns> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
        _cache = new DnsCache(options.TimeProvider, DnsConstants.CacheCapacity);
        _forwarder = new DnsForwarder(options.UpstreamTimeout, options.TimeProvider, Counters, logger, _cache);
    }

    public DnsCounters Counters { get; } = new();

    /// <summary>The addresses actually listened on (port 0 in the options resolved), after <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => _bound;

    /// <summary>Binds the UDP and TCP listeners. Throws with a clear message when an address is not on an interface.</summary>
    public Task StartAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        foreach (var endpoint in _options.ListenEndpoints)
        {
            ct.ThrowIfCancellationRequested();
            var (udp, tcp) = BindPair(endpoint);
            var bound = (IPEndPoint)udp.LocalEndPoint!;
            tcp.Listen(DnsConstants.MaxTcpClients);
            lock (_sockets)
            {
                _sockets.Add(udp);
                _sockets.Add(tcp);
            }
            _bound.Add(bound);
            _loops.Add(Task.Run(() => ServeUdpAsync(udp, _stopping.Token), CancellationToken.None));
            _loops.Add(Task.Run(() => AcceptTcpAsync(tcp, _stopping.Token), CancellationToken.None));
            Log.Listening(_logger, bound);
        }
        return Task.CompletedTask;
    }

    /// <summary>Replaces the table: MagicDNS names of self and peers, tailnet domain, upstream nameservers, split DNS, search domains.</summary>
    public void Update(DnsConfig? config, ControlNode self, IEnumerable<ControlNode> peers)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(peers);
        var problems = new List<string>();
        List<IPEndPoint> own = [.. _options.ListenEndpoints, .. _bound];
        var table = DnsTable.Build(config, self, peers, problems, own);
        // Netmaps arrive often and mostly repeat the DNS part: say each problem once, not once per netmap.
        var problemText = string.Join('\n', problems);
        if (problemText != Interlocked.Exchange(ref _lastProblems, problemText))
        {
            foreach (var problem in problems)
            {
                Log.ConfigProblem(_logger, problem);
            }
        }
        var previous = Interlocked.Exchange(ref _table, table);
        if (!previous.SameRoutes(table))
        {
            // An answer cached from an upstream that no longer serves its name must not outlive the change.
            _cache.Clear();
        }
        Log.Updated(_logger, table.MagicDnsEnabled, table.Domain, table.HostCount, table.DefaultRoute.Upstreams.Count);
    }

    /// <summary>
    /// Domains the OS resolver should append to single-label names (the tailnet domain first, then the
    /// configured search domains), for <see cref="ResolverConfig.Apply"/>; empty before the first update.
    /// </summary>
    public IReadOnlyList<string> SearchDomains => Volatile.Read(ref _table).SearchDomains;

    /// <summary>The current table (tests and the bench read it).</summary>
    internal DnsTable Table => Volatile.Read(ref _table);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loops end by cancellation; nothing else to report.
        }
        _stopping.Dispose();
    }

    /// <summary>
    /// Binds UDP and TCP on one address and port. With port 0 the kernel picks the UDP port, which TCP may
    /// already have handed out (to an outgoing connection, say): then another UDP port is tried.
    /// </summary>
    private static (Socket Udp, Socket Tcp) BindPair(IPEndPoint endpoint)
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = Bind(endpoint, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                return (udp, Bind((IPEndPoint)udp.LocalEndPoint!, SocketType.Stream, ProtocolType.Tcp));
            }
            catch (InvalidOperationException e) when (endpoint.Port == 0 && attempt < 32
                && e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                udp.Dispose();
            }
            catch
            {
                udp.Dispose();
                throw;
            }
        }
    }

    private static Socket Bind(IPEndPoint endpoint, SocketType type, ProtocolType protocol)
    {
        var socket = new Socket(endpoint.AddressFamily, type, protocol);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.Bind(endpoint);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            var kind = protocol == ProtocolType.Udp ? "UDP" : "TCP";
            throw e.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable => new InvalidOperationException(
                    $"MagicDNS cannot listen on {endpoint} ({kind}): the address is on no interface; add it to the tunnel interface first", e),
                SocketError.AddressAlreadyInUse => new InvalidOperationException(
                    $"MagicDNS cannot listen on {endpoint} ({kind}): another process already uses that address and port", e),
                SocketError.AccessDenied => new InvalidOperationException(
                    $"MagicDNS cannot listen on {endpoint} ({kind}): permission denied (port 53 needs root or CAP_NET_BIND_SERVICE)", e),
                _ => new InvalidOperationException($"MagicDNS cannot listen on {endpoint} ({kind}): {e.SocketErrorCode}", e),
            };
        }
        return socket;
    }

    /// <summary>Says once per table that there is nowhere to forward, instead of once per query.</summary>
    private void ReportNoUpstream(DnsTable table)
    {
        if (Interlocked.Exchange(ref table.NoUpstreamLogged, 1) == 0)
        {
            Log.NoUpstream(_logger);
        }
    }
}
