namespace Weft.Control.Console;

/// <summary>A line diff of two policy versions (longest common subsequence), for the history view.</summary>
public static class LineDiff
{
    /// <summary>Past this many lines on a side the table would be too big; the diff then shows whole texts replaced.</summary>
    private const int MaxLines = 3000;

    /// <summary>Each line of the diff with ' ' (kept), '-' (removed from <paramref name="before"/>) or '+' (added in <paramref name="after"/>).</summary>
    public static List<(char Op, string Line)> Compute(string before, string after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var a = before.Split('\n');
        var b = after.Split('\n');
        var result = new List<(char, string)>();
        if (a.Length > MaxLines || b.Length > MaxLines)
        {
            result.AddRange(a.Select(l => ('-', l)));
            result.AddRange(b.Select(l => ('+', l)));
            return result;
        }

        // lcs[i, j] is the common subsequence length of a[i..] and b[j..].
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                result.Add((' ', a[x++]));
                y++;
            }
            else if (lcs[x + 1, y] >= lcs[x, y + 1])
            {
                result.Add(('-', a[x++]));
            }
            else
            {
                result.Add(('+', b[y++]));
            }
        }

        while (x < a.Length)
        {
            result.Add(('-', a[x++]));
        }

        while (y < b.Length)
        {
            result.Add(('+', b[y++]));
        }

        return result;
    }
}
