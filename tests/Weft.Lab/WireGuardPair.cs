using System.Net;

namespace Weft.Lab;

/// <summary>
/// Two WireGuard implementations in two namespaces joined by a veth pair, each other's only peer, with
/// tunnel addresses 10.99.0.1 / fd99::1 (initiator) and 10.99.0.2 / fd99::2 (responder). Only the
/// initiator knows an endpoint, so the first handshake always starts on its side; the responder
/// learns the initiator's endpoint from it.
/// </summary>
public sealed class WireGuardPair : IAsyncDisposable
{
    /// <summary>UDP port both implementations listen on (each in its own namespace).</summary>
    public const int ListenPort = 51820;

    /// <summary>The initiator's tunnel IPv4 address.</summary>
    public const string InitiatorIPv4 = "10.99.0.1";

    /// <summary>The responder's tunnel IPv4 address.</summary>
    public const string ResponderIPv4 = "10.99.0.2";

    /// <summary>The initiator's tunnel IPv6 address.</summary>
    public const string InitiatorIPv6 = "fd99::1";

    /// <summary>The responder's tunnel IPv6 address.</summary>
    public const string ResponderIPv6 = "fd99::2";

    private WireGuardPair(NetworkLab lab, VethLink link, WireGuardProcess initiator, WireGuardProcess responder)
    {
        Lab = lab;
        Link = link;
        Initiator = initiator;
        Responder = responder;
    }

    /// <summary>The lab holding both namespaces; disposing the pair disposes it.</summary>
    public NetworkLab Lab { get; }

    /// <summary>The veth link: A is the initiator's namespace, B the responder's.</summary>
    public VethLink Link { get; }

    /// <summary>The side configured with the other's endpoint.</summary>
    public WireGuardProcess Initiator { get; }

    /// <summary>The side that waits to be contacted.</summary>
    public WireGuardProcess Responder { get; }

    /// <summary>
    /// Builds the lab, starts both implementations with their extra environment variables, configures
    /// keys, peers and addresses; no packet has crossed the tunnel yet when it returns.
    /// </summary>
    public static async Task<WireGuardPair> StartAsync(
        WireGuardKind initiatorKind,
        WireGuardKind responderKind,
        Action<string>? log = null,
        IReadOnlyDictionary<string, string>? initiatorEnvironment = null,
        IReadOnlyDictionary<string, string>? responderEnvironment = null)
    {
        var lab = await NetworkLab.CreateAsync(log).ConfigureAwait(false);
        try
        {
            var a = await lab.AddNamespaceAsync("a").ConfigureAwait(false);
            var b = await lab.AddNamespaceAsync("b").ConfigureAwait(false);
            var link = await lab.ConnectAsync(a, b).ConfigureAwait(false);
            var initiator = await WireGuardProcess.StartAsync(a, initiatorKind, lab.InterfaceName("a"), initiatorEnvironment).ConfigureAwait(false);
            var responder = await WireGuardProcess.StartAsync(b, responderKind, lab.InterfaceName("b"), responderEnvironment).ConfigureAwait(false);
            var initiatorKeys = await WireGuardKeyPair.GenerateAsync().ConfigureAwait(false);
            var responderKeys = await WireGuardKeyPair.GenerateAsync().ConfigureAwait(false);
            await initiator.ConfigureAsync(initiatorKeys, ListenPort).ConfigureAwait(false);
            await responder.ConfigureAsync(responderKeys, ListenPort).ConfigureAwait(false);
            await initiator.AddPeerAsync(
                responderKeys.PublicKey,
                $"{ResponderIPv4}/32,{ResponderIPv6}/128",
                new IPEndPoint(IPAddress.Parse(link.BIPv4), ListenPort)).ConfigureAwait(false);
            await responder.AddPeerAsync(initiatorKeys.PublicKey, $"{InitiatorIPv4}/32,{InitiatorIPv6}/128").ConfigureAwait(false);
            await initiator.AddAddressesAndUpAsync($"{InitiatorIPv4}/24", $"{InitiatorIPv6}/64").ConfigureAwait(false);
            await responder.AddAddressesAndUpAsync($"{ResponderIPv4}/24", $"{ResponderIPv6}/64").ConfigureAwait(false);
            lab.Log($"pair: {initiator} -> {responder}");
            return new WireGuardPair(lab, link, initiator, responder);
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>`wg show` of both sides and both processes' output, for failure messages.</summary>
    public async Task<string> DescribeAsync() =>
        $"--- {Initiator}\n{await Initiator.ShowAsync().ConfigureAwait(false)}\n{Initiator.Process.Output}\n" +
        $"--- {Responder}\n{await Responder.ShowAsync().ConfigureAwait(false)}\n{Responder.Process.Output}";

    /// <summary>Logs both sides' state, stops both implementations and removes the lab.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            Lab.Log(await DescribeAsync().ConfigureAwait(false));
        }
        catch (LabException e)
        {
            Lab.Log($"pair: cannot describe: {e.Message}");
        }
        await Lab.DisposeAsync().ConfigureAwait(false);
    }
}
