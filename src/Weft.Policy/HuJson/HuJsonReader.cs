using System.Globalization;
using System.Text;

namespace Weft.Policy.HuJson;

/// <summary>
/// Reads HuJSON ("human JSON"): standard JSON plus <c>//</c> and <c>/* */</c> comments and trailing commas
/// in objects and arrays. Every value keeps its line and column; the first syntax error is reported with
/// the position of the offending character.
/// </summary>
internal sealed class HuJsonReader
{
    // Our choice: policy files are a few levels deep; the cap keeps hostile input from exhausting the stack.
    private const int MaxDepth = 64;

    private readonly string _text;
    private int _pos;
    private int _line = 1;
    private int _column = 1;

    private HuJsonReader(string text) => _text = text;

    /// <summary>Parses a whole document, or returns false with the first syntax error.</summary>
    public static bool TryParse(string text, out HuValue? value, out PolicyError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new HuJsonReader(text);
        try
        {
            reader.SkipTrivia();
            value = reader.ReadValue(0);
            reader.SkipTrivia();
            if (reader._pos < text.Length)
            {
                throw reader.Fail($"unexpected {reader.Describe()} after the end of the document");
            }

            error = null;
            return true;
        }
        catch (SyntaxException e)
        {
            value = null;
            error = e.Error;
            return false;
        }
    }

    private HuValue ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Fail($"nesting deeper than {MaxDepth} levels");
        }

        if (_pos >= _text.Length)
        {
            throw Fail("unexpected end of input, expected a value");
        }

        return _text[_pos] switch
        {
            '{' => ReadObject(depth),
            '[' => ReadArray(depth),
            '"' => ReadString(),
            '-' or (>= '0' and <= '9') => ReadNumber(),
            't' => ReadLiteral("true"),
            'f' => ReadLiteral("false"),
            'n' => ReadLiteral("null"),
            _ => throw Fail($"unexpected {Describe()}, expected a value"),
        };
    }

    private HuObject ReadObject(int depth)
    {
        var (line, column) = (_line, _column);
        Advance(); // {
        var members = new List<HuMember>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            SkipTrivia();
            if (Peek() == '}')
            {
                Advance();
                return new HuObject(line, column, members);
            }

            if (Peek() != '"')
            {
                throw Fail(_pos >= _text.Length ? "unexpected end of input inside an object" : $"unexpected {Describe()}, expected a quoted key or '}}'");
            }

            var key = ReadString();
            if (!seen.Add(key.Value))
            {
                throw new SyntaxException(new PolicyError(key.Line, key.Column, $"duplicate key \"{key.Value}\""));
            }

            SkipTrivia();
            if (Peek() != ':')
            {
                throw Fail($"unexpected {Describe()}, expected ':' after key \"{key.Value}\"");
            }

            Advance();
            SkipTrivia();
            var value = ReadValue(depth + 1);
            members.Add(new HuMember(key.Value, key.Line, key.Column, value));
            SkipTrivia();
            if (Peek() == ',')
            {
                Advance();
            }
            else if (Peek() != '}')
            {
                throw Fail(_pos >= _text.Length ? "unexpected end of input inside an object" : $"unexpected {Describe()}, expected ',' or '}}'");
            }
        }
    }

    private HuArray ReadArray(int depth)
    {
        var (line, column) = (_line, _column);
        Advance(); // [
        var items = new List<HuValue>();
        while (true)
        {
            SkipTrivia();
            if (Peek() == ']')
            {
                Advance();
                return new HuArray(line, column, items);
            }

            if (_pos >= _text.Length)
            {
                throw Fail("unexpected end of input inside an array");
            }

            items.Add(ReadValue(depth + 1));
            SkipTrivia();
            if (Peek() == ',')
            {
                Advance();
            }
            else if (Peek() != ']')
            {
                throw Fail(_pos >= _text.Length ? "unexpected end of input inside an array" : $"unexpected {Describe()}, expected ',' or ']'");
            }
        }
    }

    private HuString ReadString()
    {
        var (line, column) = (_line, _column);
        Advance(); // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw new SyntaxException(new PolicyError(line, column, "unterminated string"));
            }

            var c = _text[_pos];
            if (c == '"')
            {
                Advance();
                return new HuString(line, column, sb.ToString());
            }

            if (c is '\n' or '\r')
            {
                throw new SyntaxException(new PolicyError(line, column, "unterminated string (line break inside quotes)"));
            }

            if (c < ' ')
            {
                throw Fail($"control character U+{(int)c:X4} inside a string");
            }

            if (c != '\\')
            {
                sb.Append(c);
                Advance();
                continue;
            }

            var (escLine, escColumn) = (_line, _column);
            Advance();
            if (_pos >= _text.Length)
            {
                throw new SyntaxException(new PolicyError(line, column, "unterminated string"));
            }

            var e = _text[_pos];
            Advance();
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_pos + 4 > _text.Length
                        || !ushort.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new SyntaxException(new PolicyError(escLine, escColumn, "\\u must be followed by four hex digits"));
                    }

                    sb.Append((char)code);
                    for (var i = 0; i < 4; i++)
                    {
                        Advance();
                    }

                    break;
                default:
                    throw new SyntaxException(new PolicyError(escLine, escColumn, $"invalid escape \\{e}"));
            }
        }
    }

    private HuNumber ReadNumber()
    {
        var (line, column) = (_line, _column);
        var start = _pos;
        if (Peek() == '-')
        {
            Advance();
        }

        if (!IsDigit(Peek()))
        {
            throw Fail($"unexpected {Describe()}, expected a digit");
        }

        if (Peek() == '0')
        {
            Advance();
        }
        else
        {
            SkipDigits();
        }

        if (Peek() == '.')
        {
            Advance();
            if (!IsDigit(Peek()))
            {
                throw Fail($"unexpected {Describe()}, expected a digit after '.'");
            }

            SkipDigits();
        }

        if (Peek() is 'e' or 'E')
        {
            Advance();
            if (Peek() is '+' or '-')
            {
                Advance();
            }

            if (!IsDigit(Peek()))
            {
                throw Fail($"unexpected {Describe()}, expected a digit in the exponent");
            }

            SkipDigits();
        }

        return new HuNumber(line, column, _text[start.._pos]);
    }

    private HuLiteral ReadLiteral(string word)
    {
        var (line, column) = (_line, _column);
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0
            || (_pos + word.Length < _text.Length && char.IsAsciiLetterOrDigit(_text[_pos + word.Length])))
        {
            throw Fail($"unexpected {Describe()}, expected a value");
        }

        for (var i = 0; i < word.Length; i++)
        {
            Advance();
        }

        return new HuLiteral(line, column, word);
    }

    /// <summary>Skips whitespace and comments.</summary>
    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' or '\n' or '\r' or '\uFEFF')
            {
                Advance();
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    Advance();
                }
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '*')
            {
                var (line, column) = (_line, _column);
                Advance();
                Advance();
                while (true)
                {
                    if (_pos + 1 >= _text.Length)
                    {
                        throw new SyntaxException(new PolicyError(line, column, "unterminated /* comment"));
                    }

                    if (_text[_pos] == '*' && _text[_pos + 1] == '/')
                    {
                        Advance();
                        Advance();
                        break;
                    }

                    Advance();
                }
            }
            else
            {
                return;
            }
        }
    }

    private void SkipDigits()
    {
        while (IsDigit(Peek()))
        {
            Advance();
        }
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void Advance()
    {
        if (_text[_pos] == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }

        _pos++;
    }

    private string Describe()
    {
        if (_pos >= _text.Length)
        {
            return "end of input";
        }

        var c = _text[_pos];
        return c < ' ' || c > '~' ? $"character U+{(int)c:X4}" : $"'{c}'";
    }

    private SyntaxException Fail(string message) => new(new PolicyError(_line, _column, message));

    /// <summary>Unwinds the recursive descent to <see cref="TryParse"/>; never escapes this class.</summary>
    private sealed class SyntaxException(PolicyError error) : Exception(error.ToString())
    {
        public PolicyError Error { get; } = error;
    }
}
