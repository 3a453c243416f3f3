using Weft.Core.Wire;

namespace Weft.Policy.Model;

/// <summary>One ACL or grant, normalised: these sources may reach each entry's destination on its ports and protocols.</summary>
internal sealed record AccessRule(IReadOnlyList<Target> Sources, IReadOnlyList<AccessEntry> Entries, int Line, int Column);

/// <summary>A destination with the ports and protocols allowed to it. Empty <paramref name="Protocols"/> means the defaults.</summary>
internal sealed record AccessEntry(Target Destination, IReadOnlyList<PortRange> Ports, IReadOnlyList<int> Protocols)
{
    /// <summary>True when the entry admits <paramref name="protocol"/> to <paramref name="port"/>.</summary>
    public bool Admits(int protocol, ushort port)
    {
        var protoOk = false;
        if (Protocols.Count == 0)
        {
            foreach (var p in IpProtocol.Defaults)
            {
                protoOk |= p == protocol;
            }
        }

        foreach (var p in Protocols)
        {
            protoOk |= p == protocol || p == IpProtocol.Any;
        }

        if (!protoOk)
        {
            return false;
        }

        if (!IpProtocol.HasPorts(protocol))
        {
            return true;
        }

        foreach (var range in Ports)
        {
            if (range.Contains(port))
            {
                return true;
            }
        }

        return false;
    }
}
