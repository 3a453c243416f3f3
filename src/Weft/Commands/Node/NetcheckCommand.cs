using System.CommandLine;

namespace Weft;

/// <summary>
/// `weft netcheck`: exists so the command is discoverable, but fails honestly: the NAT traversal work (STUN,
/// relay latency) it would report on has not landed, and a made-up report would mislead.
/// </summary>
internal static class NetcheckCommand
{
    public static Command Create()
    {
        var command = new Command("netcheck", "Report NAT type and relay latency (not available yet)");
        command.SetAction(_ => NodeCli.Fail(
            "netcheck is not available yet: it needs NAT traversal (STUN and relay probes), which this version does not have; "
            + "peers are reached on the endpoints they report, see `weft status` for each peer's path"));
        return command;
    }
}
