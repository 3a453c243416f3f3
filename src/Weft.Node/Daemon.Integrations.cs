using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weft.Node.ControlLoop;
using Weft.Node.Dns;
using Weft.Node.Filter;

namespace Weft.Node;

public sealed partial class Daemon
{
    // Used under _opGate only (and at dispose).
    private TailnetFilter? _filter;
    private MagicDns? _dns;
    private ResolverConfig? _resolver;
    private bool _resolverApplied;
    private string? _dnsError;

    /// <summary>The stateful inbound filter every engine incarnation uses; rules come from the netmap.</summary>
    private TailnetFilter Filter => _filter ??= new TailnetFilter(_time);

    /// <summary>Hands the netmap to the packet filter and MagicDNS, and points the OS resolver at MagicDNS when wanted; caller holds <see cref="_opGate"/>.</summary>
    private async Task ApplyIntegrationsLockedAsync(Netmap netmap, NetmapChanges changes, IReadOnlyList<IPNetwork> selfAddresses, CancellationToken ct)
    {
        if ((changes & (NetmapChanges.Filter | NetmapChanges.Self)) != 0)
        {
            Filter.SetRules(netmap.PacketFilter, selfAddresses);
            foreach (var error in Filter.RuleErrors)
            {
                LogFilterRuleSkipped(_logger, error);
            }
        }

        if ((changes & (NetmapChanges.Dns | NetmapChanges.Self | NetmapChanges.Peers)) == 0)
        {
            return;
        }
        if (_dns is null)
        {
            _dns = await StartMagicDnsAsync(ct).ConfigureAwait(false);
        }
        _dns?.Update(netmap.Dns, netmap.Self, netmap.Peers.Values);

        bool acceptDns;
        lock (_lock)
        {
            acceptDns = CurrentProfile(_state)?.Prefs.AcceptDns ?? false;
        }
        _resolver ??= new ResolverConfig(ResolverConfig.DefaultPath, _loggers.CreateLogger<ResolverConfig>());
        try
        {
            if (acceptDns && _dns is not null)
            {
                _resolver.Apply(IPAddress.Parse(NodeConstants.MagicDnsIPv4), _dns.SearchDomains);
                _resolverApplied = true;
            }
            else if (_resolverApplied)
            {
                _resolver.Restore();
                _resolverApplied = false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogResolverFailed(_logger, ex.Message);
            _dnsError = $"OS resolver not pointed at MagicDNS: {ex.Message}";
        }
    }

    /// <summary>Starts MagicDNS on 100.100.100.100 (and its IPv6 twin when the host has IPv6); null, logged and shown in status, when it cannot bind.</summary>
    private async Task<MagicDns?> StartMagicDnsAsync(CancellationToken ct)
    {
        var both = new MagicDnsOptions();
        var v4Only = new MagicDnsOptions();
        v4Only.ListenEndpoints.Clear();
        v4Only.ListenEndpoints.Add(new IPEndPoint(IPAddress.Parse(NodeConstants.MagicDnsIPv4), 53));
        foreach (var options in (MagicDnsOptions[])[both, v4Only])
        {
            var dns = new MagicDns(options, _loggers.CreateLogger<MagicDns>());
            try
            {
                await dns.StartAsync(ct).ConfigureAwait(false);
                _dnsError = null;
                return dns;
            }
            catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException)
            {
                await dns.DisposeAsync().ConfigureAwait(false);
                LogMagicDnsFailed(_logger, ex.Message);
                _dnsError = $"MagicDNS not running: {ex.Message}";
            }
        }
        return null;
    }

    /// <summary>Stops MagicDNS and restores the OS resolver (down, logout, switch, exit).</summary>
    private async Task StopIntegrationsAsync()
    {
        if (_resolverApplied && _resolver is not null)
        {
            try
            {
                _resolver.Restore();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogResolverFailed(_logger, ex.Message);
            }
            _resolverApplied = false;
        }
        if (_dns is not null)
        {
            await _dns.DisposeAsync().ConfigureAwait(false);
            _dns = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "packet filter rule skipped: {Error}")]
    private static partial void LogFilterRuleSkipped(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MagicDNS could not start: {Reason}")]
    private static partial void LogMagicDnsFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pointing the OS resolver at MagicDNS failed: {Reason}")]
    private static partial void LogResolverFailed(ILogger logger, string reason);
}
