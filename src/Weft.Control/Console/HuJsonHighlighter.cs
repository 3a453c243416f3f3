namespace Weft.Control.Console;

/// <summary>
/// Splits HuJSON text into coloured tokens per line for the policy view: comments, strings (keys apart from
/// values), numbers, literals and punctuation. Never fails: text it does not recognise stays plain.
/// </summary>
public static class HuJsonHighlighter
{
    /// <summary>Token kinds, used as CSS class names.</summary>
    public const string Comment = "hj-comment";
    public const string Key = "hj-key";
    public const string String = "hj-string";
    public const string Number = "hj-number";
    public const string Literal = "hj-literal";
    public const string Plain = "";

    /// <summary>The lines of <paramref name="text"/>, each as (kind, text) spans that concatenate to the line.</summary>
    public static List<List<(string Kind, string Text)>> Lines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = new List<List<(string, string)>> { new() };
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            int end;
            string kind;
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                end = text.IndexOf('\n', i);
                end = end < 0 ? text.Length : end;
                kind = Comment;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? text.Length : end + 2;
                kind = Comment;
            }
            else if (c == '"')
            {
                end = i + 1;
                while (end < text.Length && text[end] != '"' && text[end] != '\n')
                {
                    end += text[end] == '\\' ? 2 : 1;
                }

                end = Math.Min(end + 1, text.Length);
                kind = IsKey(text, end) ? Key : String;
            }
            else if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                end = i + 1;
                while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or 'e' or 'E' or '+' or '-'))
                {
                    end++;
                }

                kind = Number;
            }
            else if (char.IsAsciiLetter(c))
            {
                end = i + 1;
                while (end < text.Length && char.IsAsciiLetter(text[end]))
                {
                    end++;
                }

                kind = text.AsSpan(i, end - i) is "true" or "false" or "null" ? Literal : Plain;
            }
            else
            {
                end = i + 1;
                kind = Plain;
            }

            Add(lines, kind, text[i..end]);
            i = end;
        }

        return lines;
    }

    /// <summary>A string is a key when the next non-space character after it is ':'.</summary>
    private static bool IsKey(string text, int after)
    {
        for (var j = after; j < text.Length; j++)
        {
            if (!char.IsWhiteSpace(text[j]))
            {
                return text[j] == ':';
            }
        }

        return false;
    }

    /// <summary>Appends a token, breaking it at newlines (block comments span lines).</summary>
    private static void Add(List<List<(string, string)>> lines, string kind, string token)
    {
        var parts = token.Split('\n');
        for (var p = 0; p < parts.Length; p++)
        {
            if (p > 0)
            {
                lines.Add([]);
            }

            var text = parts[p].TrimEnd('\r');
            if (text.Length == 0)
            {
                continue;
            }

            // Runs of plain characters (spaces, brackets) become one span.
            var line = lines[^1];
            if (kind == Plain && line.Count > 0 && line[^1].Item1 == Plain)
            {
                line[^1] = (Plain, line[^1].Item2 + text);
            }
            else
            {
                line.Add((kind, text));
            }
        }
    }
}
