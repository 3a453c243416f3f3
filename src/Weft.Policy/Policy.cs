using System.Net;
using Weft.Policy.Evaluation;
using Weft.Policy.Model;
using Weft.Policy.Parsing;

namespace Weft.Policy;

/// <summary>
/// A parsed and validated tailnet policy (HuJSON, Tailscale's ACL syntax): groups, hosts, tagOwners,
/// acls, grants, autoApprovers and tests. Immutable; safe to share between threads.
/// </summary>
public sealed partial class Policy
{
    private const string DefaultText = """
        {
          // Tailscale's default: every node in the tailnet may reach every other node on every port.
          "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"] } ],
        }
        """;

    private readonly IReadOnlyDictionary<string, IReadOnlySet<string>> _groups;
    private readonly IReadOnlyDictionary<string, IPNetwork> _hosts;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<Target>> _tagOwners;
    private readonly IReadOnlyList<AccessRule> _rules;
    private readonly AutoApproverSet _autoApprovers;
    private readonly IReadOnlyList<PolicyTestCase> _tests;
    private readonly TargetMatcher _matcher;

    internal Policy(
        IReadOnlyDictionary<string, IReadOnlySet<string>> groups,
        IReadOnlyDictionary<string, IPNetwork> hosts,
        IReadOnlyDictionary<string, IReadOnlyList<Target>> tagOwners,
        IReadOnlyList<AccessRule> rules,
        AutoApproverSet autoApprovers,
        IReadOnlyList<PolicyTestCase> tests)
    {
        _groups = groups;
        _hosts = hosts;
        _tagOwners = tagOwners;
        _rules = rules;
        _autoApprovers = autoApprovers;
        _tests = tests;
        _matcher = new TargetMatcher(groups);
    }

    /// <summary>The policy of a new tailnet: everyone in the tailnet reaches everyone.</summary>
    public static Policy Default { get; } = Parse(DefaultText).Policy!;

    /// <summary>Parses and validates a policy file. Never throws on bad input: errors carry line and column.</summary>
    public static PolicyParseResult Parse(string hujson) => PolicyParser.Parse(hujson ?? "");

    /// <summary>The tags defined in tagOwners.</summary>
    public IEnumerable<string> Tags => _tagOwners.Keys;

    /// <summary>The names of the hosts section with their prefixes.</summary>
    public IReadOnlyDictionary<string, IPNetwork> Hosts => _hosts;

    /// <summary>The groups that list <paramref name="userLogin"/>.</summary>
    public IReadOnlyList<string> GroupsOf(string userLogin)
    {
        var list = new List<string>();
        foreach (var (name, members) in _groups)
        {
            if (members.Contains(userLogin))
            {
                list.Add(name);
            }
        }

        return list;
    }
}
