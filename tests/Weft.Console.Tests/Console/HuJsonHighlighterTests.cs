using Weft.Control.Console;

namespace Weft.Console.Tests.Console;

/// <summary>The policy view's colouring: tokens per line that rebuild the text exactly.</summary>
public sealed class HuJsonHighlighterTests
{
    [Fact]
    public void Lines_ClassifyTokens_AndRebuildTheText()
    {
        const string Text = "{\n  // allow all\n  \"acls\": [{\"action\": \"accept\", \"n\": -1.5, \"x\": true}], /* two\nlines */\n}";
        var lines = HuJsonHighlighter.Lines(Text);

        Assert.Equal(Text.Split('\n'), lines.Select(l => string.Concat(l.Select(t => t.Text))));
        Assert.Contains((HuJsonHighlighter.Comment, "// allow all"), lines[1]);
        Assert.Contains((HuJsonHighlighter.Key, "\"acls\""), lines[2]);
        Assert.Contains((HuJsonHighlighter.String, "\"accept\""), lines[2]);
        Assert.Contains((HuJsonHighlighter.Number, "-1.5"), lines[2]);
        Assert.Contains((HuJsonHighlighter.Literal, "true"), lines[2]);
        Assert.Contains((HuJsonHighlighter.Comment, "lines */"), lines[3]);
    }

    [Fact]
    public void Lines_UnterminatedStringOrComment_DoesNotThrow()
    {
        Assert.Equal(2, HuJsonHighlighter.Lines("\"open\n/* never closed").Count);
        Assert.Single(HuJsonHighlighter.Lines(""));
    }
}
