using System.Globalization;
using System.Net;
using Weft.Core.Wire;
using Weft.Policy.Evaluation;
using Weft.Policy.HuJson;
using Weft.Policy.Model;

namespace Weft.Policy.Parsing;

/// <summary>
/// Turns a HuJSON tree into a <see cref="Policy"/>, checking every section and collecting every error
/// with the position of the token at fault. Definitions (groups, hosts, tagOwners) are read first so
/// rules may refer to them wherever they appear in the file.
/// </summary>
internal sealed partial class PolicyParser
{
    private readonly List<PolicyError> _errors = [];

    // Group name -> member logins (logins compare case-insensitively, like e-mail addresses).
    private readonly Dictionary<string, HashSet<string>> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IPNetwork> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Target>> _tagOwners = new(StringComparer.Ordinal);
    private readonly List<AccessRule> _rules = [];
    private readonly List<PolicyTestCase> _tests = [];
    private AutoApproverSet _autoApprovers = AutoApproverSet.Empty;

    public static PolicyParseResult Parse(string text)
    {
        if (!HuJsonReader.TryParse(text, out var root, out var syntaxError))
        {
            return PolicyParseResult.Failed([syntaxError!]);
        }

        var parser = new PolicyParser();
        parser.ReadDocument(root!);
        if (parser._errors.Count > 0)
        {
            parser._errors.Sort((a, b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : a.Column.CompareTo(b.Column));
            return PolicyParseResult.Failed(parser._errors);
        }

        var groups = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var (name, members) in parser._groups)
        {
            groups[name] = members;
        }

        var owners = new Dictionary<string, IReadOnlyList<Target>>(StringComparer.Ordinal);
        foreach (var (tag, list) in parser._tagOwners)
        {
            owners[tag] = list;
        }

        return PolicyParseResult.Succeeded(new Policy(groups, parser._hosts, owners, parser._rules, parser._autoApprovers, parser._tests));
    }

    private void ReadDocument(HuValue root)
    {
        if (root is not HuObject doc)
        {
            _errors.Add(root.Error($"the policy must be an object, found {root.KindName}"));
            return;
        }

        HuMember? groups = null, hosts = null, tagOwners = null, acls = null, grants = null, approvers = null, tests = null;
        foreach (var m in doc.Members)
        {
            switch (m.Name)
            {
                case PolicyConstants.Groups: groups = m; break;
                case PolicyConstants.Hosts: hosts = m; break;
                case PolicyConstants.TagOwners: tagOwners = m; break;
                case PolicyConstants.Acls: acls = m; break;
                case PolicyConstants.Grants: grants = m; break;
                case PolicyConstants.AutoApprovers: approvers = m; break;
                case PolicyConstants.Tests: tests = m; break;
                default:
                    _errors.Add(m.Error(Array.IndexOf(PolicyConstants.UnsupportedSections, m.Name) >= 0
                        ? $"section \"{m.Name}\" is not supported"
                        : $"unknown section \"{m.Name}\""));
                    break;
            }
        }

        // Names first, so definitions may refer to each other in any order.
        DeclareGroups(groups);
        DeclareHosts(hosts);
        DeclareTags(tagOwners);
        ReadTagOwners(tagOwners);
        ReadAcls(acls);
        ReadGrants(grants);
        ReadAutoApprovers(approvers);
        ReadTests(tests);
    }

    private void DeclareGroups(HuMember? section)
    {
        if (section is null || ObjectOf(section.Value, "\"groups\"") is not { } obj)
        {
            return;
        }

        foreach (var m in obj.Members)
        {
            if (!m.Name.StartsWith(PolicyConstants.GroupPrefix, StringComparison.Ordinal) || !IsName(m.Name.AsSpan(PolicyConstants.GroupPrefix.Length)))
            {
                _errors.Add(m.Error($"group name \"{m.Name}\" must look like \"group:name\" (letters, digits, '-', '_', '.')"));
                continue;
            }

            var members = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            _groups[m.Name] = members;
            foreach (var s in StringsOf(m.Value, $"group \"{m.Name}\""))
            {
                if (s.Value.StartsWith(PolicyConstants.GroupPrefix, StringComparison.Ordinal))
                {
                    _errors.Add(s.Error($"group \"{m.Name}\" cannot contain another group (\"{s.Value}\")"));
                }
                else if (!IsUserLogin(s.Value))
                {
                    _errors.Add(s.Error($"group \"{m.Name}\" may list only users, found \"{s.Value}\""));
                }
                else
                {
                    members.Add(s.Value);
                }
            }
        }
    }

    private void DeclareHosts(HuMember? section)
    {
        if (section is null || ObjectOf(section.Value, "\"hosts\"") is not { } obj)
        {
            return;
        }

        foreach (var m in obj.Members)
        {
            if (!IsName(m.Name) || m.Name.Contains(':', StringComparison.Ordinal) || Prefixes.TryParseAddress(m.Name, out _))
            {
                _errors.Add(m.Error($"host name \"{m.Name}\" must be letters, digits, '-', '_' or '.' and not an address"));
                continue;
            }

            if (m.Value is not HuString s)
            {
                _errors.Add(m.Value.Error($"host \"{m.Name}\" must be a string with an IP address or CIDR, found {m.Value.KindName}"));
                continue;
            }

            if (!Prefixes.TryParse(s.Value, out var network, out var problem))
            {
                _errors.Add(s.Error($"bad CIDR \"{s.Value}\" for host \"{m.Name}\": {problem}"));
                continue;
            }

            _hosts[m.Name] = network;
        }
    }

    private void DeclareTags(HuMember? section)
    {
        if (section is null || ObjectOf(section.Value, "\"tagOwners\"") is not { } obj)
        {
            return;
        }

        foreach (var m in obj.Members)
        {
            if (!m.Name.StartsWith(PolicyConstants.TagPrefix, StringComparison.Ordinal) || !IsName(m.Name.AsSpan(PolicyConstants.TagPrefix.Length)))
            {
                _errors.Add(m.Error($"tag name \"{m.Name}\" must look like \"tag:name\" (letters, digits, '-', '_', '.')"));
                continue;
            }

            _tagOwners[m.Name] = [];
        }
    }

    private void ReadTagOwners(HuMember? section)
    {
        if (section?.Value is not HuObject obj)
        {
            return;
        }

        foreach (var m in obj.Members)
        {
            if (!_tagOwners.TryGetValue(m.Name, out var owners))
            {
                continue; // name already reported
            }

            foreach (var s in StringsOf(m.Value, $"owners of \"{m.Name}\""))
            {
                if (ParseTarget(s, s.Value, TargetUse.TagOwner) is { } t)
                {
                    owners.Add(t);
                }
            }
        }
    }

    private void ReadAcls(HuMember? section)
    {
        if (section is null || ArrayOf(section.Value, "\"acls\"") is not { } array)
        {
            return;
        }

        foreach (var item in array.Items)
        {
            if (item is not HuObject rule)
            {
                _errors.Add(item.Error($"each ACL must be an object, found {item.KindName}"));
                continue;
            }

            HuMember? action = null, src = null, dst = null, proto = null;
            foreach (var m in rule.Members)
            {
                switch (m.Name)
                {
                    case "action": action = m; break;
                    case "src": src = m; break;
                    case "dst": dst = m; break;
                    case "proto": proto = m; break;
                    case "users" or "ports":
                        _errors.Add(m.Error($"ACL field \"{m.Name}\" is the legacy spelling; use \"{(m.Name == "users" ? "src" : "dst")}\""));
                        break;
                    default:
                        _errors.Add(m.Error($"unknown ACL field \"{m.Name}\""));
                        break;
                }
            }

            if (action is null)
            {
                _errors.Add(rule.Error("ACL needs \"action\": \"accept\""));
            }
            else if (action.Value is not HuString { Value: PolicyConstants.ActionAccept })
            {
                _errors.Add(action.Value.Error("ACL action must be \"accept\""));
            }

            IReadOnlyList<int>? protocols = proto is null ? Array.Empty<int>() : ParseProtocol(proto.Value);
            var sources = ReadSources(rule, src, "ACL");
            if (dst is null)
            {
                _errors.Add(rule.Error("ACL needs \"dst\""));
                continue;
            }

            var entries = new List<AccessEntry>();
            foreach (var s in StringsOf(dst.Value, "ACL \"dst\""))
            {
                if (!SplitHostPort(s, out var host, out var portsText))
                {
                    continue;
                }

                var target = ParseTarget(s, host, TargetUse.RuleDestination);
                var ports = ParsePorts(s, portsText);
                if (target is null || ports is null)
                {
                    continue;
                }

                if (!PortsFitProtocols(s, ports, protocols))
                {
                    continue;
                }

                entries.Add(new AccessEntry(target, ports, protocols ?? []));
            }

            AddRule(rule, sources, entries);
        }
    }

    private void ReadGrants(HuMember? section)
    {
        if (section is null || ArrayOf(section.Value, "\"grants\"") is not { } array)
        {
            return;
        }

        foreach (var item in array.Items)
        {
            if (item is not HuObject grant)
            {
                _errors.Add(item.Error($"each grant must be an object, found {item.KindName}"));
                continue;
            }

            HuMember? src = null, dst = null, ip = null;
            foreach (var m in grant.Members)
            {
                switch (m.Name)
                {
                    case "src": src = m; break;
                    case "dst": dst = m; break;
                    case "ip": ip = m; break;
                    case "app" or "srcPosture" or "via":
                        _errors.Add(m.Error($"grant field \"{m.Name}\" is not supported"));
                        break;
                    default:
                        _errors.Add(m.Error($"unknown grant field \"{m.Name}\""));
                        break;
                }
            }

            var sources = ReadSources(grant, src, "grant");
            if (dst is null || ip is null)
            {
                _errors.Add(grant.Error(dst is null ? "grant needs \"dst\"" : "grant needs \"ip\""));
                continue;
            }

            var specs = new List<(IReadOnlyList<PortRange> Ports, IReadOnlyList<int> Protocols)>();
            foreach (var s in StringsOf(ip.Value, "grant \"ip\""))
            {
                if (ParseIpSpec(s) is { } spec)
                {
                    specs.Add(spec);
                }
            }

            var entries = new List<AccessEntry>();
            foreach (var s in StringsOf(dst.Value, "grant \"dst\""))
            {
                if (ParseTarget(s, s.Value, TargetUse.RuleDestination) is not { } target)
                {
                    continue;
                }

                foreach (var (ports, protocols) in specs)
                {
                    entries.Add(new AccessEntry(target, ports, protocols));
                }
            }

            AddRule(grant, sources, entries);
        }
    }

    private List<Target> ReadSources(HuObject rule, HuMember? src, string what)
    {
        var sources = new List<Target>();
        if (src is null)
        {
            _errors.Add(rule.Error($"{what} needs \"src\""));
            return sources;
        }

        foreach (var s in StringsOf(src.Value, $"{what} \"src\""))
        {
            if (ParseTarget(s, s.Value, TargetUse.RuleSource) is { } t)
            {
                sources.Add(t);
            }
        }

        return sources;
    }

    private void AddRule(HuObject rule, List<Target> sources, List<AccessEntry> entries)
    {
        // autogroup:self means "the same user's own devices": it needs sources that are users.
        foreach (var e in entries)
        {
            if (e.Destination.Kind != TargetKind.AutogroupSelf)
            {
                continue;
            }

            foreach (var s in sources)
            {
                if (s.Kind is not (TargetKind.Any or TargetKind.User or TargetKind.Group or TargetKind.AutogroupMember))
                {
                    _errors.Add(new PolicyError(s.Line, s.Column, $"\"{s.Name}\" cannot be a source of a rule with autogroup:self; use users, groups, autogroup:member or *"));
                }
            }

            break;
        }

        _rules.Add(new AccessRule(sources, entries, rule.Line, rule.Column));
    }

    private void ReadAutoApprovers(HuMember? section)
    {
        if (section is null || ObjectOf(section.Value, "\"autoApprovers\"") is not { } obj)
        {
            return;
        }

        var routes = new List<(IPNetwork, IReadOnlyList<Target>)>();
        var exit = new List<Target>();
        foreach (var m in obj.Members)
        {
            if (m.Name == "routes")
            {
                if (ObjectOf(m.Value, "autoApprovers \"routes\"") is not { } routeObj)
                {
                    continue;
                }

                foreach (var r in routeObj.Members)
                {
                    if (!Prefixes.TryParse(r.Name, out var prefix, out var problem))
                    {
                        _errors.Add(r.Error($"bad CIDR \"{r.Name}\": {problem}"));
                        continue;
                    }

                    routes.Add((prefix, ReadApprovers(r.Value, $"approvers of \"{r.Name}\"")));
                }
            }
            else if (m.Name == "exitNode")
            {
                exit.AddRange(ReadApprovers(m.Value, "autoApprovers \"exitNode\""));
            }
            else
            {
                _errors.Add(m.Error($"unknown autoApprovers field \"{m.Name}\""));
            }
        }

        _autoApprovers = new AutoApproverSet(routes, exit);
    }

    private List<Target> ReadApprovers(HuValue value, string what)
    {
        var list = new List<Target>();
        foreach (var s in StringsOf(value, what))
        {
            if (ParseTarget(s, s.Value, TargetUse.AutoApprover) is { } t)
            {
                list.Add(t);
            }
        }

        return list;
    }

    private void ReadTests(HuMember? section)
    {
        if (section is null || ArrayOf(section.Value, "\"tests\"") is not { } array)
        {
            return;
        }

        foreach (var item in array.Items)
        {
            if (item is not HuObject test)
            {
                _errors.Add(item.Error($"each test must be an object, found {item.KindName}"));
                continue;
            }

            Target? source = null;
            var accept = new List<TestDestination>();
            var deny = new List<TestDestination>();
            var protocol = PolicyConstants.DefaultTestProtocol;
            var hasSource = false;
            foreach (var m in test.Members)
            {
                switch (m.Name)
                {
                    case "src":
                        hasSource = true;
                        if (m.Value is HuString s)
                        {
                            source = ParseTarget(s, s.Value, TargetUse.TestSource);
                        }
                        else
                        {
                            _errors.Add(m.Value.Error($"test \"src\" must be a string, found {m.Value.KindName}"));
                        }

                        break;
                    case "accept":
                        ReadTestDestinations(m.Value, accept, "test \"accept\"");
                        break;
                    case "deny":
                        ReadTestDestinations(m.Value, deny, "test \"deny\"");
                        break;
                    case "proto":
                        if (ParseProtocol(m.Value) is { Count: 1 } one)
                        {
                            protocol = one[0];
                        }
                        else if (m.Value is HuString { Value: var name } && PolicyConstants.ProtocolNames.ContainsKey(name))
                        {
                            _errors.Add(m.Value.Error($"test \"proto\" must name one protocol; \"{name}\" covers several"));
                        }

                        break;
                    default:
                        _errors.Add(m.Error($"unknown test field \"{m.Name}\""));
                        break;
                }
            }

            if (!hasSource)
            {
                _errors.Add(test.Error("test needs \"src\""));
            }

            if (source is not null)
            {
                _tests.Add(new PolicyTestCase(source, accept, deny, protocol, test.Line, test.Column));
            }
        }
    }

    private void ReadTestDestinations(HuValue value, List<TestDestination> into, string what)
    {
        foreach (var s in StringsOf(value, what))
        {
            if (!SplitHostPort(s, out var host, out var portText))
            {
                continue;
            }

            var target = ParseTarget(s, host, TargetUse.TestDestination);
            if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                _errors.Add(s.Error($"bad port \"{portText}\" in \"{s.Value}\": a test names one port, 0-65535"));
                continue;
            }

            if (target is not null)
            {
                into.Add(new TestDestination(target, port, s.Value));
            }
        }
    }

    private HuObject? ObjectOf(HuValue value, string what)
    {
        if (value is HuObject obj)
        {
            return obj;
        }

        _errors.Add(value.Error($"{what} must be an object, found {value.KindName}"));
        return null;
    }

    private HuArray? ArrayOf(HuValue value, string what)
    {
        if (value is HuArray array)
        {
            return array;
        }

        _errors.Add(value.Error($"{what} must be an array, found {value.KindName}"));
        return null;
    }

    /// <summary>The strings of an array of strings; anything else is reported and skipped.</summary>
    private List<HuString> StringsOf(HuValue value, string what)
    {
        var list = new List<HuString>();
        if (ArrayOf(value, what) is not { } array)
        {
            return list;
        }

        foreach (var item in array.Items)
        {
            if (item is HuString s)
            {
                list.Add(s);
            }
            else
            {
                _errors.Add(item.Error($"{what} must list strings, found {item.KindName}"));
            }
        }

        return list;
    }

    private static bool IsName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsUserLogin(string s)
    {
        var at = s.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || s.Contains(':', StringComparison.Ordinal) || s.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
