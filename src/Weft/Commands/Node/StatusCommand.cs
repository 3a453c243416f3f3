using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Weft.Node.LocalApi;

namespace Weft;

/// <summary>`weft status`: this node and its peers as a table (like `tailscale status`) or as JSON.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Indented = new(LocalApiJsonContext.Default.Options) { WriteIndented = true };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the daemon's status as JSON" };
        var active = new Option<bool>("--active") { Description = "Show only peers with recent traffic" };
        var command = new Command("status", "Show this node and its peers: addresses, owners, online, path, handshake, traffic") { json, active };
        command.SetAction((parse, ct) => NodeCli.RunAsync(parse, ct, async (api, c) =>
        {
            var status = await api.GetStatusAsync(c).ConfigureAwait(false);
            if (parse.GetValue(active))
            {
                status = status with { Peers = [.. status.Peers.Where(p => p.Active)] };
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(status, Indented.GetTypeInfo(typeof(StatusResponse))));
                return 0;
            }

            return Print(status, TimeProvider.System.GetUtcNow());
        }));
        return command;
    }

    private static int Print(StatusResponse status, DateTimeOffset now)
    {
        switch (status.BackendState)
        {
            case BackendState.NeedsLogin:
                Console.WriteLine(status.AuthUrl is { } url ? $"Logged out. Finish logging in at: {url}" : "Logged out. Log in with: weft up");
                return 1;
            case BackendState.NeedsMachineAuth:
                Console.WriteLine("This machine waits for an admin's approval (`weft control nodes authorize ID` on the server).");
                return 1;
            case BackendState.Stopped:
                Console.WriteLine("Weft is stopped. Connect with: weft up");
                return 1;
            case BackendState.NoState:
                Console.WriteLine("Not configured. Log in with: weft up --login-server URL --auth-key KEY");
                return 1;
        }

        var table = NodeCli.Table("IP", "Name", "User", "OS", "Status", "Path", "Handshake", "Rx", "Tx");
        if (status.Self is { } self)
        {
            NodeCli.Row(table, FirstIp(self), self.Name, self.User, self.Os, "self", "-", "-", "-", "-");
        }

        foreach (var peer in status.Peers.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            NodeCli.Row(table, FirstIp(peer), peer.Name, peer.User, peer.Os,
                peer.Online ? (peer.Active ? "active" : "online") : "offline",
                peer.Path.Length > 0 ? peer.Path : "idle",
                NodeCli.Ago(peer.LastHandshake, now),
                NodeCli.Bytes(peer.RxBytes), NodeCli.Bytes(peer.TxBytes));
        }

        NodeCli.Write(table);
        if (status.BackendState == BackendState.Starting)
        {
            Console.WriteLine("# Starting: waiting for the first netmap from the coordination server");
        }

        foreach (var problem in status.Health)
        {
            Console.WriteLine($"# Health check: {problem}");
        }

        return 0;
    }

    private static string FirstIp(PeerStatus node) => node.Addresses.Count > 0 ? node.Addresses[0] : "-";
}
