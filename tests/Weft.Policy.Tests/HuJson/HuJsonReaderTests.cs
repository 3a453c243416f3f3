using Weft.Policy.HuJson;

namespace Weft.Policy.Tests.HuJson;

public sealed class HuJsonReaderTests
{
    [Fact]
    public void TryParse_CommentsAndTrailingCommas_AreAccepted()
    {
        const string text = """
            // leading comment
            {
              /* block
                 comment */ "a": [1, 2, 3,], // trailing comma in an array
              "b": { "c": "d", }, // and in an object
              "e": true, "f": null, "g": -1.5e3,
            }
            """;

        Assert.True(HuJsonReader.TryParse(text, out var value, out var error), error?.ToString());
        var obj = Assert.IsType<HuObject>(value);
        Assert.Equal(["a", "b", "e", "f", "g"], obj.Members.Select(m => m.Name));
        Assert.Equal(3, Assert.IsType<HuArray>(obj.Members[0].Value).Items.Count);
        Assert.Equal("-1.5e3", Assert.IsType<HuNumber>(obj.Members[4].Value).Raw);
    }

    [Fact]
    public void TryParse_Values_KeepTheirLineAndColumn()
    {
        const string text = "{\n  \"k\": [\n    \"v\"]\n}";

        Assert.True(HuJsonReader.TryParse(text, out var value, out _));
        var member = Assert.IsType<HuObject>(value).Members[0];
        Assert.Equal((2, 3), (member.Line, member.Column));
        var item = Assert.IsType<HuArray>(member.Value).Items[0];
        Assert.Equal((3, 5), (item.Line, item.Column));
    }

    [Fact]
    public void TryParse_StringEscapes_AreDecoded()
    {
        Assert.True(HuJsonReader.TryParse("\"a\\\"b\\\\c\\u0041\\n\"", out var value, out _));
        Assert.Equal("a\"b\\cA\n", Assert.IsType<HuString>(value).Value);
    }

    [Theory]
    [InlineData("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}'")]
    [InlineData("{\n  \"a\": tru\n}", 2, 8, "expected a value")]
    [InlineData("{\n  \"a\": \"open\n}", 2, 8, "unterminated string")]
    [InlineData("{ \"a\": 1 }\n/* never closed", 2, 1, "unterminated /* comment")]
    [InlineData("{ \"a\": 1,\n  \"a\": 2 }", 2, 3, "duplicate key \"a\"")]
    [InlineData("{ \"a\": 1 } x", 1, 12, "after the end of the document")]
    [InlineData("[1, 2", 1, 6, "end of input inside an array")]
    [InlineData("{ a: 1 }", 1, 3, "expected a quoted key")]
    [InlineData("\"bad \\q escape\"", 1, 6, "invalid escape \\q")]
    [InlineData("[01]", 1, 3, "expected ',' or ']'")]
    [InlineData("", 1, 1, "unexpected end of input")]
    public void TryParse_SyntaxError_NamesLineAndColumn(string text, int line, int column, string message)
    {
        Assert.False(HuJsonReader.TryParse(text, out _, out var error));
        Assert.NotNull(error);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_DeepNesting_IsAnErrorNotAStackOverflow()
    {
        var text = new string('[', 100_000);

        Assert.False(HuJsonReader.TryParse(text, out _, out var error));
        Assert.Contains("nesting deeper", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyError_ToString_StartsWithPosition()
    {
        var error = new PolicyError(12, 5, "unknown group \"group:ops\"");

        Assert.Equal("line 12, column 5: unknown group \"group:ops\"", error.ToString());
    }
}
