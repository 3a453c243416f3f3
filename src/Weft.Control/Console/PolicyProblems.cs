using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Control.Console;

/// <summary>Finds the line numbers in policy problems ("line 12, column 3: ..."), so the editor can mark those lines.</summary>
public static partial class PolicyProblems
{
    /// <summary>The 1-based lines the problems point at.</summary>
    public static HashSet<int> Lines(IEnumerable<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var lines = new HashSet<int>();
        foreach (var p in problems)
        {
            var m = LineRegex().Match(p);
            if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var line))
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    [GeneratedRegex(@"^line (\d+), column \d+:")]
    private static partial Regex LineRegex();
}
