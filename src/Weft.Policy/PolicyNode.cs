using System.Net;

namespace Weft.Policy;

/// <summary>
/// What the policy needs to know about one node. A node with tags is owned by its tags: in policy it
/// matches those tags and no longer its user.
/// </summary>
/// <param name="UserRole">"owner", "admin" or "member" (see <see cref="PolicyRoles"/>).</param>
/// <param name="ApprovedRoutes">Subnet routes (and exit routes 0.0.0.0/0, ::/0) this node may serve.</param>
public sealed record PolicyNode(
    long Id,
    string? UserLogin,
    string UserRole,
    IReadOnlyList<string> Tags,
    IPAddress IPv4,
    IPAddress IPv6,
    IReadOnlyList<IPNetwork> ApprovedRoutes)
{
    /// <summary>True when the node carries tags and so has no user identity in policy.</summary>
    public bool IsTagged => Tags.Count > 0;
}

/// <summary>A user of the tailnet, for policy tests about users that own no node yet.</summary>
public sealed record PolicyUser(string Login, string Role);

/// <summary>The user roles policy distinguishes.</summary>
public static class PolicyRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";

    /// <summary>True for roles that autogroup:admin covers.</summary>
    public static bool IsAdmin(string? role) =>
        string.Equals(role, Owner, StringComparison.OrdinalIgnoreCase) || string.Equals(role, Admin, StringComparison.OrdinalIgnoreCase);
}
