namespace Weft.WireGuard.Uapi;

/// <summary>
/// Parses the body of a `set=1` request (the lines after the operation line, up to the blank line) into a
/// validated <see cref="UapiSetRequest"/>. Nothing is applied while parsing, so a request with a bad line
/// changes nothing (wireguard-go would have applied the lines before it).
/// </summary>
public static class UapiParser
{
    /// <summary>Reads lines from <paramref name="reader"/> through the blank line (or the end) and parses them.</summary>
    public static UapiErrno TryParseSet(TextReader reader, out UapiSetRequest? request) => TryParseSet(reader, out request, out _);

    /// <summary>As <see cref="TryParseSet(TextReader, out UapiSetRequest?)"/>, with a message saying what failed and on which line.</summary>
    public static UapiErrno TryParseSet(TextReader reader, out UapiSetRequest? request, out string? error)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var builder = new UapiSetBuilder();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            builder.Feed(line);
        }
        return builder.Finish(out request, out error);
    }

    /// <summary>Parses request text: lines separated by '\n', ending at the first blank line or the end of the text.</summary>
    public static UapiErrno TryParseSet(ReadOnlySpan<char> text, out UapiSetRequest? request, out string? error)
    {
        var builder = new UapiSetBuilder();
        while (!text.IsEmpty)
        {
            var newline = text.IndexOf('\n');
            var line = newline < 0 ? text : text[..newline];
            text = newline < 0 ? default : text[(newline + 1)..];
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }
            if (line.IsEmpty)
            {
                break;
            }
            builder.Feed(line);
        }
        return builder.Finish(out request, out error);
    }
}
