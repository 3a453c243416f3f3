using System.Text;

namespace Weft.Control.Identity;

/// <summary>Turns a reported hostname into a DNS-safe machine name and finds a free variant ("laptop", "laptop-1").</summary>
internal static class MachineName
{
    /// <summary>Name used when a hostname has nothing DNS-safe in it.</summary>
    public const string Fallback = "node";

    /// <summary>Lower-case letters, digits and single inner hyphens, at most one DNS label long.</summary>
    public static string Sanitize(string? hostname)
    {
        var sb = new StringBuilder();
        foreach (var c in (hostname ?? "").ToLowerInvariant())
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }

            if (sb.Length >= ControlConstants.MaxMachineNameLength - 6)
            {
                break;
            }
        }

        var name = sb.ToString().Trim('-');
        return name.Length == 0 ? Fallback : name;
    }

    /// <summary>The first of base, base-1, base-2, ... that <paramref name="taken"/> does not hold.</summary>
    public static string FirstFree(string baseName, IReadOnlySet<string> taken)
    {
        if (!taken.Contains(baseName))
        {
            return baseName;
        }

        for (var i = 1; ; i++)
        {
            var candidate = $"{baseName}-{i}";
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>True for a name <see cref="Sanitize"/> would leave unchanged (what an admin may set).</summary>
    public static bool IsValid(string name) => !string.IsNullOrEmpty(name) && Sanitize(name) == name && name.Length <= ControlConstants.MaxMachineNameLength;
}
