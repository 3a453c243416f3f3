using System.Net;
using System.Net.Sockets;
using Weft.Lab;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>Reachability checks between tailnet nodes: TCP listeners and connects made inside namespaces, DNS lookups.</summary>
internal static class TailnetProbes
{
    /// <summary>
    /// How long a connect that the peer's filter drops is given before it counts as blocked: a dropped SYN
    /// never answers, so some wait is unavoidable; a reachable listener answers within milliseconds.
    /// </summary>
    public static readonly TimeSpan BlockedConnectWait = TimeSpan.FromSeconds(3);

    /// <summary>A TCP listener in <paramref name="ns"/> on <paramref name="address"/>:<paramref name="port"/>; the kernel completes handshakes from its backlog.</summary>
    public static Socket Listen(LabNamespace ns, string address, int port)
    {
        var socket = ns.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(IPAddress.Parse(address), port));
        socket.Listen(16);
        return socket;
    }

    /// <summary>True when a TCP connection from <paramref name="from"/> to address:port completes within <paramref name="wait"/>.</summary>
    public static async Task<bool> CanConnectAsync(LabNamespace from, string address, int port, TimeSpan? wait = null)
    {
        var target = IPAddress.Parse(address);
        using var socket = from.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        using var cts = new CancellationTokenSource(wait ?? BlockedConnectWait);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(target, port), cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            // Refused or unreachable: not connected either way.
            return false;
        }
    }

    /// <summary>
    /// Pings <paramref name="address"/> from <paramref name="from"/> once a second until a reply comes back or the
    /// guard passes: after a peer restarts, the other side's stale session recovers only on WireGuard's own
    /// timers (a new handshake after an unanswered send), so "traffic resumes" is an eventual property.
    /// </summary>
    public static async Task<bool> PingEventuallyAsync(LabNamespace from, string address, TimeSpan guard)
    {
        var deadline = DateTime.UtcNow + guard;
        do
        {
            if ((await Ping.RunAsync(from, address, count: 1, replyWaitSeconds: 1)).Received > 0)
            {
                return true;
            }
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    /// <summary>`dig @100.100.100.100 NAME A +short` in <paramref name="ns"/>: the answered addresses.</summary>
    public static async Task<IReadOnlyList<string>> DigAsync(LabNamespace ns, string name)
    {
        var result = await ns.TryExecAsync(["dig", "@100.100.100.100", name, "A", "+short", "+time=2", "+tries=2"]);
        return result.Succeeded ? [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : [];
    }

    /// <summary>`getent hosts NAME` through the namespace's resolv.conf: every address it printed.</summary>
    public static async Task<IReadOnlyList<string>> GetentAsync(LabNamespace ns, string name)
    {
        var result = await ns.TryExecAsync(["getent", "hosts", name]);
        return result.Succeeded
            ? [.. result.StandardOutput.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(t => IPAddress.TryParse(t, out _))]
            : [];
    }
}
