using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>
/// Random and mutated requests: the parser never throws and always returns a known errno; the server
/// answers every request with an errno line and keeps serving other clients.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UapiFuzzTests : IDisposable
{
    private static readonly UapiErrno[] KnownErrnos = Enum.GetValues<UapiErrno>();

    private static readonly string[] Keys =
    [
        "private_key", "listen_port", "fwmark", "replace_peers", "public_key", "remove", "update_only", "preshared_key",
        "endpoint", "persistent_keepalive_interval", "replace_allowed_ips", "allowed_ip", "protocol_version",
        "errno", "get", "set", "", "PUBLIC_KEY",
    ];

    private static readonly string[] Values =
    [
        new('a', 64), new('0', 64), new('F', 64), new('a', 63), new('a', 65), "true", "false", "1", "0", "65535", "65536",
        "4294967295", "4294967296", "-1", "192.0.2.1:51820", "[2001:db8::1]:443", "[::ffff:1.2.3.4]:0", "1.2.3.4",
        "10.0.0.0/8", "10.0.0.1/32", "::/0", "fd00::1/129", "1.2.3.4/", "[fe80::1%eth0]:1", "", "=", "==", " ",
    ];

    private static readonly Gen<char> NastyChar = Gen.Elements('=', ':', '/', '[', ']', '%', '.', '\r', '\0', '\u00e9', '\u00ff', ' ', '\t', 'a', '9');

    private static readonly Gen<string> WellFormedLine =
        from key in Gen.Elements(Keys)
        from value in Gen.Elements(Values)
        select key + "=" + value;

    private static readonly Gen<string> RandomLine =
        from chars in Gen.ArrayOf(Gen.OneOf(NastyChar, Gen.Choose(32, 126).Select(i => (char)i)))
        select new string(chars);

    // Mutations of well-formed lines: drop, duplicate or replace one character.
    private static readonly Gen<string> MutatedLine =
        from line in WellFormedLine
        from position in Gen.Choose(0, 200)
        from kind in Gen.Choose(0, 2)
        from c in NastyChar
        select Mutate(line, position, kind, c);

    private static readonly Gen<string> Line = Gen.Frequency((4, WellFormedLine), (2, MutatedLine), (1, RandomLine));

    // A body of non-empty lines without '\n', so the request is exactly one request.
    private static readonly Gen<string[]> Body =
        Gen.ListOf(Line).Select(lines => lines.Select(l => l.Replace("\n", "", StringComparison.Ordinal)).Where(l => l.Length > 0 && l != "\r").ToArray());

    private readonly UapiServerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static string Mutate(string line, int position, int kind, char c)
    {
        if (line.Length == 0)
        {
            return c.ToString();
        }
        var at = position % line.Length;
        return kind switch
        {
            0 => line.Remove(at, 1),
            1 => line.Insert(at, line[at].ToString()),
            _ => line[..at] + c + line[(at + 1)..],
        };
    }

    [Fact]
    public void TryParseSet_RandomAndMutatedText_NeverThrowsAndReturnsKnownErrno()
    {
        var text = Gen.OneOf(
            Body.Select(lines => string.Join('\n', lines) + "\n\n"),
            Gen.ListOf(Line).Select(lines => string.Join('\n', lines)),
            RandomLine);
        Prop.ForAll(text.ToArbitrary(), input =>
        {
            var errno = UapiParser.TryParseSet(input, out var request, out var error);
            using var reader = new StringReader(input);
            var fromReader = UapiParser.TryParseSet(reader, out _);
            return Array.IndexOf(KnownErrnos, errno) >= 0
                && (errno == UapiErrno.None) == (request is not null)
                && (errno == UapiErrno.None) == (error is null)
                && (fromReader == errno || input.Contains('\r', StringComparison.Ordinal));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task Server_RandomSetRequests_EachAnsweredWithKnownErrno()
    {
        var failures = new List<string>();
        using var client = await _fixture.ConnectAsync();
        Prop.ForAll(Body.ToArbitrary(), lines =>
        {
            var request = "set=1\n" + string.Concat(lines.Select(l => l + "\n")) + "\n";
            var answer = client.RequestAsync(request).GetAwaiter().GetResult();
            if (answer.Lines.Count != 0 || Array.IndexOf(KnownErrnos, (UapiErrno)answer.Errno) < 0)
            {
                failures.Add(request);
            }
            return failures.Count == 0;
        }).QuickCheckThrowOnFailure();
        // The same connection is still in step after all of them.
        Assert.Equal(0, (await client.RequestAsync("get=1\n\n")).Errno);
        Assert.Empty(failures);
        Assert.DoesNotContain("Error:", _fixture.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_RandomBytesThenClose_NeverCrashesAndKeepsServing()
    {
        var input = Gen.OneOf(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i)),
            Gen.ListOf(Line).Select(lines => Encoding.Latin1.GetBytes(string.Join('\n', lines))),
            Body.Select(lines => Encoding.Latin1.GetBytes("get=1\n" + string.Join('\n', lines))));
        Prop.ForAll(input.ToArbitrary(), bytes =>
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(_fixture.Server.SocketPath));
            try
            {
                socket.Send(bytes);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The server may already have answered an unknown operation and closed.
            }
            // Read until the server closes: what it wrote must be errno-terminated answers.
            var received = new MemoryStream();
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    received.Write(buffer, 0, n);
                }
            }
            catch (SocketException)
            {
                // A reset after the server closed with our bytes unread; what arrived before it is checked.
            }
            var text = Encoding.Latin1.GetString(received.ToArray());
            return text.Length == 0 || (text.EndsWith("\n\n", StringComparison.Ordinal) && text.Contains("errno=", StringComparison.Ordinal));
        }).QuickCheckThrowOnFailure();
        using var client = await _fixture.ConnectAsync();
        Assert.Equal(0, (await client.RequestAsync("get=1\n\n")).Errno);
        Assert.DoesNotContain("Error:", _fixture.Logger.All, StringComparison.Ordinal);
    }
}
