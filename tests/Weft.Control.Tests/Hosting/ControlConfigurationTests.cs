using System.Collections;
using Weft.Control.Hosting;

namespace Weft.Control.Tests.Hosting;

/// <summary>Configuration layers: file, then WEFT_CONTROL_* variables, then flags; bad input names its source.</summary>
public sealed class ControlConfigurationTests
{
    [Fact]
    public void Load_FileThenEnvironmentThenFlags_LaterLayersWin()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """
            {
              // comments and trailing commas are fine
              "dataDir": "/from-file", "listen": "http://0.0.0.0:1", "postgres": "Host=file", "registerBurst": 5,
            }
            """);
        var env = new Hashtable { ["WEFT_CONTROL_LISTEN"] = "http://0.0.0.0:2", ["WEFT_CONTROL_POSTGRES"] = "Host=env", ["WEFT_CONTROL_EPHEMERAL_TIMEOUT_SECONDS"] = "60" };

        var o = ControlConfiguration.Load(dir.File("c.json"), env, o => o.Postgres = "Host=flag");

        Assert.Equal("/from-file", o.DataDir);
        Assert.Equal("http://0.0.0.0:2", o.Listen);
        Assert.Equal("Host=flag", o.Postgres);
        Assert.Equal(5, o.RegisterBurst);
        Assert.Equal(60, o.EphemeralTimeoutSeconds);
    }

    [Fact]
    public void Load_SharedEmailDomains_FromFileOrCommaSeparatedVariable()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{ "sharedEmailDomains": ["mail.example"] }""");
        Assert.Equal(["mail.example"], ControlConfiguration.Load(dir.File("c.json"), new Hashtable(), null).SharedEmailDomains);
        var env = new Hashtable { ["WEFT_CONTROL_SHARED_EMAIL_DOMAINS"] = "a.example, b.example," };
        Assert.Equal(["a.example", "b.example"], ControlConfiguration.Load(dir.File("c.json"), env, null).SharedEmailDomains);
        Assert.Null(ControlConfiguration.Load(null, new Hashtable(), null).SharedEmailDomains);
    }

    [Fact]
    public void Load_LatestClientVersion_FromFileThenVariable_UnsetIsNull()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{ "latestClientVersion": "1.2.0" }""");
        Assert.Equal("1.2.0", ControlConfiguration.Load(dir.File("c.json"), new Hashtable(), null).LatestClientVersion);
        var env = new Hashtable { ["WEFT_CONTROL_LATEST_CLIENT_VERSION"] = "1.3.0" };
        Assert.Equal("1.3.0", ControlConfiguration.Load(dir.File("c.json"), env, null).LatestClientVersion);
        Assert.Equal("2.0.0", ControlConfiguration.Load(dir.File("c.json"), env, o => o.LatestClientVersion = "2.0.0").LatestClientVersion);
        Assert.Null(ControlConfiguration.Load(null, new Hashtable(), null).LatestClientVersion);
    }

    [Fact]
    public void Load_Nothing_GivesDefaults()
    {
        var o = ControlConfiguration.Load(null, new Hashtable(), null);
        Assert.Equal("http://127.0.0.1:8080", o.Listen);
        Assert.Null(o.Postgres);
        Assert.Equal(1800, o.EphemeralTimeoutSeconds);
    }

    [Fact]
    public void Load_UnknownFieldInFile_IsRejectedNamingTheFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{ "listne": "http://0.0.0.0:1" }""");
        var ex = Assert.Throws<InvalidDataException>(() => ControlConfiguration.Load(dir.File("c.json"), new Hashtable(), null));
        Assert.Contains("c.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("listne", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadNumberInEnvironment_NamesTheVariable()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ControlConfiguration.Load(null, new Hashtable { ["WEFT_CONTROL_REGISTER_BURST"] = "lots" }, null));
        Assert.Contains("WEFT_CONTROL_REGISTER_BURST", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://127.0.0.1:0", "cert.pem", null)]
    [InlineData("https://127.0.0.1:0", null, null)]
    [InlineData("http://127.0.0.1:0", "cert.pem", "key.pem")]
    [InlineData("ftp://127.0.0.1", null, null)]
    public void Load_InconsistentListenAndTls_IsRejected(string listen, string? cert, string? key)
    {
        Assert.Throws<InvalidDataException>(() => ControlConfiguration.Load(null, new Hashtable(), o => (o.Listen, o.TlsCert, o.TlsKey) = (listen, cert, key)));
    }

    [Fact]
    public void Load_MissingFile_SaysWhichFile()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ControlConfiguration.Load("/nonexistent/weft.json", new Hashtable(), null));
        Assert.Contains("/nonexistent/weft.json", ex.Message, StringComparison.Ordinal);
    }
}
