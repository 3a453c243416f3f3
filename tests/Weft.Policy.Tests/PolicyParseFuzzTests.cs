using FsCheck;
using FsCheck.Fluent;

namespace Weft.Policy.Tests;

public sealed class PolicyParseFuzzTests
{
    // Characters that matter to the grammar, so mutations reach the interesting error paths.
    private static readonly char[] Interesting = ['{', '}', '[', ']', '"', ':', ',', '/', '*', '\\', '\n', ' ', '-', '0', '9', '@', 'a', '.', '\u00e9', '\0'];

    private enum Edit
    {
        Delete,
        Insert,
        Replace,
        Truncate,
        Duplicate,
    }

    private static readonly Gen<(Edit Kind, int Position, int Length, char Char)> EditGen =
        from kind in Gen.Elements(Edit.Delete, Edit.Insert, Edit.Replace, Edit.Truncate, Edit.Duplicate)
        from position in Gen.Choose(0, int.MaxValue - 1)
        from length in Gen.Choose(1, 40)
        from c in Gen.Elements(Interesting)
        select (kind, position, length, c);

    // Strings that sit on the edges of target, port and prefix syntax.
    private static readonly string[] HostileStrings =
    [
        "", "*", ":", "*:", ":*", "tag:", "group:", "autogroup:", "tag:server:", "tag:server:*", "group:eng:22", "[", "[::1]", "[::1]:",
        "[::1]:22", "::", "::/0", "1.2.3.4/0", "0.0.0.0/0:*", "10.0.0.1/33", "300.1.1.1", "1.2", "01.2.3.4", "a@", "@b", "alice@example.com",
        "65536", "0-0", "90-80", "1,,2", "-", "tcp:", "icmp:22", "256", "-1", "autogroup:self", "autogroup:internet:*", "db", "db:5432",
        "fe80::1%eth0", "192.168.0.0/16", "autogroup:self:*", "tag:exit", "\u0000",
    ];

    private static readonly Gen<(int Which, string Replacement)> StringSwapGen =
        from which in Gen.Choose(0, int.MaxValue - 1)
        from replacement in Gen.Elements(HostileStrings)
        select (which, replacement);

    [Fact]
    public void Parse_RandomMutationsOfValidPolicy_NeverThrow()
    {
        Prop.ForAll(Gen.ListOf(EditGen).ToArbitrary(), edits => ParsesSafely(Mutate(TestTailnet.PolicyText, edits)))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Parse_HostileStringsInValidPolicy_NeverThrow()
    {
        Prop.ForAll(Gen.ListOf(StringSwapGen).ToArbitrary(), swaps => ParsesSafely(SwapStrings(TestTailnet.PolicyText, swaps)))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static bool ParsesSafely(string text)
    {
        {
            var result = Policy.Parse(text);
            if (result.Success)
            {
                // A mutant that still parses must also compile, test and answer visibility questions.
                foreach (var node in TestTailnet.All)
                {
                    _ = result.Policy.CompileFor(node, TestTailnet.All);
                    _ = result.Policy.CanSee(node, TestTailnet.Router);
                }

                _ = result.Policy.RunTests(TestTailnet.All);
                return result.Errors.Count == 0;
            }

            // Failures always say where: positions inside the text (end of input may be one past the last column).
            var lines = text.Split('\n');
            foreach (var e in result.Errors)
            {
                if (e.Line < 1 || e.Line > lines.Length || e.Column < 1 || e.Column > lines[e.Line - 1].Length + 1)
                {
                    return false;
                }
            }

            return result.Errors.Count > 0;
        }
    }

    /// <summary>Replaces the contents of chosen string literals (the n-th, counting quote pairs) with other text.</summary>
    private static string SwapStrings(string text, IEnumerable<(int Which, string Replacement)> swaps)
    {
        foreach (var (which, replacement) in swaps)
        {
            var quotes = new List<int>();
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '"')
                {
                    quotes.Add(i);
                }
            }

            if (quotes.Count < 2)
            {
                break;
            }

            var pair = which % (quotes.Count / 2);
            var open = quotes[pair * 2];
            var close = quotes[(pair * 2) + 1];
            text = string.Concat(text.AsSpan(0, open + 1), replacement, text.AsSpan(close));
        }

        return text;
    }

    private static string Mutate(string text, IEnumerable<(Edit Kind, int Position, int Length, char Char)> edits)
    {
        var s = new System.Text.StringBuilder(text);
        foreach (var (kind, position, length, c) in edits)
        {
            var at = s.Length == 0 ? 0 : position % s.Length;
            var n = Math.Min(length, s.Length - at);
            switch (kind)
            {
                case Edit.Delete when s.Length > 0:
                    s.Remove(at, n);
                    break;
                case Edit.Insert:
                    s.Insert(at, c);
                    break;
                case Edit.Replace when s.Length > 0:
                    s[at] = c;
                    break;
                case Edit.Truncate:
                    s.Length = at;
                    break;
                case Edit.Duplicate when s.Length > 0:
                    s.Insert(at, s.ToString(at, n));
                    break;
            }
        }

        return s.ToString();
    }
}
