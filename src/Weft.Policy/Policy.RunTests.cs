using System.Net;
using Weft.Policy.Evaluation;
using Weft.Policy.Model;

namespace Weft.Policy;

public sealed partial class Policy
{
    /// <summary>
    /// Runs the "tests" section. A user source is a node of that user (its role from <paramref name="users"/>,
    /// else from its nodes in <paramref name="all"/>, else member) with the addresses of its untagged nodes;
    /// a tag source is a node with just that tag; an address is the node that owns it, if any. Every
    /// failing destination is reported with the test's position.
    /// </summary>
    public PolicyTestResult RunTests(IReadOnlyList<PolicyNode> all, IReadOnlyList<PolicyUser>? users = null)
    {
        ArgumentNullException.ThrowIfNull(all);
        var failures = new List<PolicyTestFailure>();
        foreach (var test in _tests)
        {
            var src = Imagine(test.Source, all, users);
            foreach (var d in test.Accept)
            {
                if (!Allows(src, Imagine(d.Target, all, users), test.Protocol, d.Port))
                {
                    failures.Add(new PolicyTestFailure(test.Line, test.Column, test.Source.Name, d.Text, expectedAccept: true));
                }
            }

            foreach (var d in test.Deny)
            {
                if (Allows(src, Imagine(d.Target, all, users), test.Protocol, d.Port))
                {
                    failures.Add(new PolicyTestFailure(test.Line, test.Column, test.Source.Name, d.Text, expectedAccept: false));
                }
            }
        }

        return new PolicyTestResult(failures);
    }

    /// <summary>The principal a test means by a target (user, tag or single address).</summary>
    private static Principal Imagine(Target t, IReadOnlyList<PolicyNode> all, IReadOnlyList<PolicyUser>? users)
    {
        var addresses = new List<IPAddress>();
        switch (t.Kind)
        {
            case TargetKind.User:
                string? role = null;
                foreach (var u in users ?? [])
                {
                    if (string.Equals(u.Login, t.Name, StringComparison.OrdinalIgnoreCase))
                    {
                        role = u.Role;
                    }
                }

                foreach (var n in all)
                {
                    if (!n.IsTagged && string.Equals(n.UserLogin, t.Name, StringComparison.OrdinalIgnoreCase))
                    {
                        role ??= n.UserRole;
                        addresses.Add(n.IPv4);
                        addresses.Add(n.IPv6);
                    }
                }

                return new Principal(t.Name, role ?? PolicyRoles.Member, [], addresses, []);
            case TargetKind.Tag:
                foreach (var n in all)
                {
                    if (Principal.FromNode(n).HasTag(t.Name))
                    {
                        addresses.Add(n.IPv4);
                        addresses.Add(n.IPv6);
                    }
                }

                return new Principal(null, "", [t.Name], addresses, []);
            default:
                var address = t.Network.BaseAddress;
                foreach (var n in all)
                {
                    if (n.IPv4.Equals(address) || n.IPv6.Equals(address))
                    {
                        return Principal.FromNode(n);
                    }
                }

                return new Principal(null, "", [], [address], []);
        }
    }
}
