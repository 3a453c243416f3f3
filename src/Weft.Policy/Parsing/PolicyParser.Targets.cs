using System.Globalization;
using System.Net;
using Weft.Core.Wire;
using Weft.Policy.Evaluation;
using Weft.Policy.HuJson;
using Weft.Policy.Model;

namespace Weft.Policy.Parsing;

/// <summary>Targets, ports and protocols inside policy strings; errors point at the string that holds them.</summary>
internal sealed partial class PolicyParser
{
    private Target? ParseTarget(HuString at, string text, TargetUse use)
    {
        var kind = Classify(at, text, out var network);
        if (kind is null)
        {
            return null;
        }

        if (!Allowed(kind.Value, use))
        {
            _errors.Add(at.Error($"\"{text}\" is not allowed in {Describe(use)}"));
            return null;
        }

        if (use is TargetUse.TestSource or TargetUse.TestDestination && kind is TargetKind.Host or TargetKind.Prefix && !IsSingleAddress(network))
        {
            _errors.Add(at.Error($"\"{text}\" in {Describe(use)} must be a single address, not a range"));
            return null;
        }

        return new Target(kind.Value, text, network, at.Line, at.Column);
    }

    private TargetKind? Classify(HuString at, string text, out IPNetwork network)
    {
        network = default;
        if (text.Length == 0)
        {
            _errors.Add(at.Error("empty target"));
            return null;
        }

        if (text == PolicyConstants.Wildcard)
        {
            return TargetKind.Any;
        }

        if (text.StartsWith(PolicyConstants.AutogroupPrefix, StringComparison.Ordinal))
        {
            TargetKind? auto = text switch
            {
                PolicyConstants.AutogroupMember => TargetKind.AutogroupMember,
                PolicyConstants.AutogroupTagged => TargetKind.AutogroupTagged,
                PolicyConstants.AutogroupSelf => TargetKind.AutogroupSelf,
                PolicyConstants.AutogroupAdmin => TargetKind.AutogroupAdmin,
                PolicyConstants.AutogroupInternet => TargetKind.AutogroupInternet,
                _ => null,
            };
            if (auto is null)
            {
                _errors.Add(at.Error($"unknown autogroup \"{text}\""));
            }

            return auto;
        }

        if (text.StartsWith(PolicyConstants.GroupPrefix, StringComparison.Ordinal))
        {
            if (_groups.ContainsKey(text))
            {
                return TargetKind.Group;
            }

            _errors.Add(at.Error($"unknown group \"{text}\""));
            return null;
        }

        if (text.StartsWith(PolicyConstants.TagPrefix, StringComparison.Ordinal))
        {
            if (_tagOwners.ContainsKey(text))
            {
                return TargetKind.Tag;
            }

            _errors.Add(at.Error($"tag \"{text}\" has no entry in tagOwners"));
            return null;
        }

        if (text.Contains('@', StringComparison.Ordinal))
        {
            if (IsUserLogin(text))
            {
                return TargetKind.User;
            }

            _errors.Add(at.Error($"\"{text}\" is not a valid user login"));
            return null;
        }

        if (_hosts.TryGetValue(text, out network))
        {
            return TargetKind.Host;
        }

        var looksLikeAddress = text.Contains('/', StringComparison.Ordinal) || text.Contains(':', StringComparison.Ordinal)
            || (text.Length > 0 && char.IsAsciiDigit(text[0]));
        if (looksLikeAddress)
        {
            if (Prefixes.TryParse(text, out network, out var problem))
            {
                return TargetKind.Prefix;
            }

            _errors.Add(at.Error(text.Contains('/', StringComparison.Ordinal) ? $"bad CIDR \"{text}\": {problem}" : $"bad IP address \"{text}\""));
            return null;
        }

        _errors.Add(at.Error($"unknown host \"{text}\": not a user, group, tag, autogroup, host or IP address"));
        return null;
    }

    private static bool Allowed(TargetKind kind, TargetUse use) => use switch
    {
        TargetUse.RuleSource => kind is not (TargetKind.AutogroupSelf or TargetKind.AutogroupInternet),
        TargetUse.RuleDestination => true,
        TargetUse.TagOwner or TargetUse.AutoApprover =>
            kind is TargetKind.User or TargetKind.Group or TargetKind.Tag or TargetKind.AutogroupAdmin or TargetKind.AutogroupMember,
        TargetUse.TestSource or TargetUse.TestDestination =>
            kind is TargetKind.User or TargetKind.Tag or TargetKind.Host or TargetKind.Prefix,
        _ => false,
    };

    private static string Describe(TargetUse use) => use switch
    {
        TargetUse.RuleSource => "a rule's src",
        TargetUse.RuleDestination => "a rule's dst",
        TargetUse.TagOwner => "tagOwners (owners are users, groups, tags, autogroup:admin or autogroup:member)",
        TargetUse.AutoApprover => "autoApprovers (approvers are users, groups, tags, autogroup:admin or autogroup:member)",
        TargetUse.TestSource => "a test's src (users, tags, hosts or addresses)",
        _ => "a test's destinations (users, tags, hosts or addresses)",
    };

    private static bool IsSingleAddress(IPNetwork n) =>
        n.PrefixLength == (n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);

    /// <summary>Splits "target:ports" at the last colon ("[v6]:ports" also works); reports a missing port.</summary>
    private bool SplitHostPort(HuString s, out string host, out string ports)
    {
        var text = s.Value;
        host = ports = "";
        int colon;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                _errors.Add(s.Error($"destination \"{text}\" has '[' without \"]:port\""));
                return false;
            }

            host = text[1..close];
            ports = text[(close + 2)..];
            return true;
        }

        colon = text.LastIndexOf(':');
        var head = colon < 0 ? "" : text[..colon];
        if (colon <= 0 || head + ":" is PolicyConstants.GroupPrefix or PolicyConstants.TagPrefix or PolicyConstants.AutogroupPrefix)
        {
            _errors.Add(s.Error($"destination \"{text}\" needs a port, like \"{text}:*\""));
            return false;
        }

        host = head;
        ports = text[(colon + 1)..];
        return true;
    }

    /// <summary>"*", or a comma list of ports and "first-last" ranges.</summary>
    private List<PortRange>? ParsePorts(HuString at, string text)
    {
        if (text == PolicyConstants.Wildcard)
        {
            return [PortRange.All];
        }

        var list = new List<PortRange>();
        foreach (var part in text.Split(','))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var firstText = dash < 0 ? part : part[..dash];
            var lastText = dash < 0 ? part : part[(dash + 1)..];
            if (!ushort.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !ushort.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            {
                _errors.Add(at.Error($"bad port \"{part}\" in \"{at.Value}\": ports are 0-65535, \"a-b\" ranges, comma lists or *"));
                return null;
            }

            if (first > last)
            {
                _errors.Add(at.Error($"bad port range \"{part}\" in \"{at.Value}\": first port is above last"));
                return null;
            }

            list.Add(new PortRange(first, last));
        }

        return list;
    }

    /// <summary>A protocol name ("tcp") or IANA number, as a string or a JSON number.</summary>
    private IReadOnlyList<int>? ParseProtocol(HuValue value)
    {
        var text = value switch
        {
            HuString s => s.Value,
            HuNumber n => n.Raw,
            _ => null,
        };
        if (text is null)
        {
            _errors.Add(value.Error($"\"proto\" must be a protocol name or number, found {value.KindName}"));
            return null;
        }

        if (PolicyConstants.ProtocolNames.TryGetValue(text, out var numbers))
        {
            return numbers;
        }

        if (byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return [number];
        }

        _errors.Add(value.Error($"unknown protocol \"{text}\": use a name like tcp, udp, icmp or a number 0-255"));
        return null;
    }

    /// <summary>A grant "ip" entry: "*", "tcp:443", "udp:*", "icmp", "6:22", "443" or "80-90".</summary>
    private (IReadOnlyList<PortRange>, IReadOnlyList<int>)? ParseIpSpec(HuString s)
    {
        var text = s.Value;
        if (text == PolicyConstants.Wildcard)
        {
            return ([PortRange.All], [IpProtocol.Any]);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            if (PolicyConstants.ProtocolNames.TryGetValue(text, out var named))
            {
                return ([PortRange.All], named);
            }

            return ParsePorts(s, text) is { } bare ? (bare, []) : null;
        }

        var protocols = ParseProtocol(new HuString(s.Line, s.Column, text[..colon]));
        var ports = ParsePorts(s, text[(colon + 1)..]);
        if (protocols is null || ports is null || !PortsFitProtocols(s, ports, protocols))
        {
            return null;
        }

        return (ports, protocols);
    }

    /// <summary>Ports only mean something for TCP, UDP and SCTP; anything but "*" with other protocols is a mistake.</summary>
    private bool PortsFitProtocols(HuString at, List<PortRange> ports, IReadOnlyList<int>? protocols)
    {
        if (protocols is null || protocols.Count == 0 || (ports.Count == 1 && ports[0] == PortRange.All))
        {
            return true;
        }

        foreach (var p in protocols)
        {
            if (IpProtocol.HasPorts(p))
            {
                return true;
            }
        }

        _errors.Add(at.Error($"\"{at.Value}\" names ports, but its protocol has none (use tcp, udp or sctp, or port *)"));
        return false;
    }
}
