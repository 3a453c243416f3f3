using System.Net;

namespace Weft.Policy.Model;

/// <summary>The kinds of thing a policy can name as a source or destination.</summary>
internal enum TargetKind
{
    Any,
    User,
    Group,
    Tag,
    Host,
    Prefix,
    AutogroupMember,
    AutogroupTagged,
    AutogroupSelf,
    AutogroupAdmin,
    AutogroupInternet,
}

/// <summary>One parsed target with the position of the string it came from.</summary>
/// <param name="Name">The text as written (login, "group:eng", host name, CIDR).</param>
/// <param name="Network">The prefix for <see cref="TargetKind.Host"/> and <see cref="TargetKind.Prefix"/>.</param>
internal sealed record Target(TargetKind Kind, string Name, IPNetwork Network, int Line, int Column)
{
    public bool IsIdentity => Kind is TargetKind.User or TargetKind.Group or TargetKind.Tag
        or TargetKind.AutogroupMember or TargetKind.AutogroupTagged or TargetKind.AutogroupAdmin;

    public bool IsNetwork => Kind is TargetKind.Host or TargetKind.Prefix;
}
