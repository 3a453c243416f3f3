using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Weft.Lab.Interop;

namespace Weft.Lab;

/// <summary>One network namespace of a lab: run commands and processes inside it, address its links, filter it with nftables.</summary>
public sealed class LabNamespace
{
    private readonly NetworkLab _lab;

    internal LabNamespace(NetworkLab lab, string name)
    {
        _lab = lab;
        Name = name;
    }

    /// <summary>The namespace name as `ip netns` knows it.</summary>
    public string Name { get; }

    /// <summary>Runs a command inside the namespace and returns how it ended (no throw on nonzero exit).</summary>
    public Task<CommandResult> TryExecAsync(IReadOnlyList<string> arguments, string? standardInput = null, TimeSpan? timeout = null) =>
        Command.RunAsync(Wrap(arguments), standardInput, timeout);

    /// <summary>Runs a command inside the namespace; throws a <see cref="LabException"/> naming it unless it exits with 0.</summary>
    public Task<CommandResult> ExecAsync(IReadOnlyList<string> arguments, string? standardInput = null, TimeSpan? timeout = null) =>
        Command.RunCheckedAsync(Wrap(arguments), standardInput, timeout);

    /// <summary>Starts a long-running process inside the namespace; the lab stops it on dispose if the test did not.</summary>
    public LabProcess Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = LabProcess.Start(Wrap(arguments), environment);
        _lab.Track(process);
        return process;
    }

    /// <summary>`ip addr add CIDR dev IFACE` (IPv6 without duplicate address detection, so it is usable at once).</summary>
    public Task AddAddressAsync(string iface, string cidr) =>
        ExecAsync(cidr.Contains(':', StringComparison.Ordinal)
            ? ["ip", "addr", "add", cidr, "dev", iface, "nodad"]
            : ["ip", "addr", "add", cidr, "dev", iface]);

    /// <summary>`ip addr del CIDR dev IFACE`.</summary>
    public Task DeleteAddressAsync(string iface, string cidr) => ExecAsync(["ip", "addr", "del", cidr, "dev", iface]);

    /// <summary>`ip link set IFACE up`.</summary>
    public Task SetLinkUpAsync(string iface) => ExecAsync(["ip", "link", "set", iface, "up"]);

    /// <summary>`ip link set IFACE down`.</summary>
    public Task SetLinkDownAsync(string iface) => ExecAsync(["ip", "link", "set", iface, "down"]);

    /// <summary>`ip link del IFACE`.</summary>
    public Task DeleteLinkAsync(string iface) => ExecAsync(["ip", "link", "del", iface]);

    /// <summary>`ip route add ROUTE...` (e.g. "default", "via", "10.1.0.1").</summary>
    public Task AddRouteAsync(params string[] route) => ExecAsync(["ip", "route", "add", .. route]);

    /// <summary>Sets a sysctl inside the namespace (e.g. net.ipv4.ip_forward=1 for a NAT router).</summary>
    public Task SetSysctlAsync(string key, string value) => ExecAsync(["sysctl", "-q", "-w", $"{key}={value}"]);

    /// <summary>
    /// Loads an nftables ruleset (the text `nft -f` reads) into this namespace only, e.g. a masquerading
    /// NAT table or drop rules; rules vanish with the namespace.
    /// </summary>
    public Task ApplyNftablesAsync(string ruleset) => ExecAsync(["nft", "-f", "-"], ruleset);

    /// <summary>
    /// Creates a UDP socket that lives in this namespace (sockets stay in the namespace they were created in),
    /// bound to <paramref name="localEndPoint"/>, so test code can send raw datagrams from inside the lab.
    /// </summary>
    public Socket CreateUdpSocket(IPEndPoint localEndPoint) => CreateSocket(SocketType.Dgram, ProtocolType.Udp, localEndPoint);

    /// <summary>Creates a socket of any type inside this namespace, bound to <paramref name="localEndPoint"/> (port 0 for any).</summary>
    public Socket CreateSocket(SocketType socketType, ProtocolType protocolType, IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        Socket? socket = null;
        Exception? failure = null;
        // setns applies to the calling thread only: do it on a thread of our own that ends right after.
        var thread = new Thread(() =>
        {
            try
            {
                using var target = File.OpenHandle(Path.Combine(LabConstants.NetnsDirectory, Name));
                using var original = File.OpenHandle("/proc/thread-self/ns/net");
                EnterNamespace(target);
                try
                {
                    socket = new Socket(localEndPoint.AddressFamily, socketType, protocolType);
                    socket.Bind(localEndPoint);
                }
                finally
                {
                    EnterNamespace(original);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or LabException or UnauthorizedAccessException)
            {
                socket?.Dispose();
                socket = null;
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new LabException($"cannot create a {socketType} socket on {localEndPoint} in namespace {Name}: {failure?.Message}", failure!);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static void EnterNamespace(SafeFileHandle handle)
    {
        if (Libc.setns(handle, Libc.CLONE_NEWNET) != 0)
        {
            throw new LabException($"setns(CLONE_NEWNET) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    private string[] Wrap(IReadOnlyList<string> arguments) => ["ip", "netns", "exec", Name, .. arguments];
}
