namespace Weft.Policy.HuJson;

/// <summary>A parsed HuJSON value that remembers where its first character was, so later checks can name the spot.</summary>
internal abstract class HuValue(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>The value's kind as error messages say it ("a string", "an array").</summary>
    public abstract string KindName { get; }

    public PolicyError Error(string message) => new(Line, Column, message);
}

/// <summary>An object; members keep file order and their key positions.</summary>
internal sealed class HuObject(int line, int column, IReadOnlyList<HuMember> members) : HuValue(line, column)
{
    public IReadOnlyList<HuMember> Members { get; } = members;

    public override string KindName => "an object";
}

/// <summary>One "name": value pair; the position is the key's.</summary>
internal sealed class HuMember(string name, int line, int column, HuValue value)
{
    public string Name { get; } = name;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public HuValue Value { get; } = value;

    public PolicyError Error(string message) => new(Line, Column, message);
}

internal sealed class HuArray(int line, int column, IReadOnlyList<HuValue> items) : HuValue(line, column)
{
    public IReadOnlyList<HuValue> Items { get; } = items;

    public override string KindName => "an array";
}

internal sealed class HuString(int line, int column, string value) : HuValue(line, column)
{
    public string Value { get; } = value;

    public override string KindName => "a string";
}

/// <summary>A number, kept as written so integer checks see exactly what the author typed.</summary>
internal sealed class HuNumber(int line, int column, string raw) : HuValue(line, column)
{
    public string Raw { get; } = raw;

    public override string KindName => "a number";
}

/// <summary>true, false or null.</summary>
internal sealed class HuLiteral(int line, int column, string text) : HuValue(line, column)
{
    public string Text { get; } = text;

    public override string KindName => Text == "null" ? "null" : "a boolean";
}
