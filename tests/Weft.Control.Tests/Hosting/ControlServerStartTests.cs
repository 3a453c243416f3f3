using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Control.Tests.Fixtures;

namespace Weft.Control.Tests.Hosting;

/// <summary>Starting the server: TLS from PEM files, PostgreSQL instead of SQLite, first start racing another replica.</summary>
public sealed class ControlServerStartTests(PostgresServer postgres)
{
    [Fact]
    public async Task Start_WithPemCertificate_ServesHttpsWithThatCertificate()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=weft-control-test", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(dir.File("cert.pem"), cert.ExportCertificatePem(), ct);
        await File.WriteAllTextAsync(dir.File("key.pem"), key.ExportPkcs8PrivateKeyPem(), ct);

        await using var server = await ControlServer.StartAsync(new ControlServerOptions
        {
            DataDir = dir.File("data"),
            Listen = "https://127.0.0.1:0",
            TlsCert = dir.File("cert.pem"),
            TlsKey = dir.File("key.pem"),
        }, ct: ct);

        string? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
            {
                seen = presented?.Thumbprint;
                return true;
            },
        };
        using var http = new HttpClient(handler);
        Assert.Equal("https", server.Address.Scheme);
        Assert.Equal("ok", await http.GetStringAsync(new Uri(server.Address, "/healthz"), ct));
        Assert.Equal(cert.Thumbprint, seen);
    }

    [Fact]
    public async Task Start_BadPemFiles_FailsNamingTheFile()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("cert.pem"), "not a certificate", ct);
        await File.WriteAllTextAsync(dir.File("key.pem"), "not a key", ct);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => ControlServer.StartAsync(new ControlServerOptions
        {
            DataDir = dir.File("data"),
            Listen = "https://127.0.0.1:0",
            TlsCert = dir.File("cert.pem"),
            TlsKey = dir.File("key.pem"),
        }, ct: ct));
        Assert.Contains("cert.pem", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateTailnetOrLoad_NameTakenByAnotherReplica_LoadsTheExistingOne()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var store = await SqliteControlStore.OpenAsync(dir.File("control.db"), ct);
        var winner = await store.CreateTailnetAsync("default", "default.weft.internal", DateTimeOffset.UtcNow, ct);

        var (tailnet, created) = await ControlServer.CreateTailnetOrLoadAsync(store, "default", "default.weft.internal", DateTimeOffset.UtcNow, ct);

        Assert.False(created);
        Assert.Equal(winner.Id, tailnet.Id);
        Assert.Single(await store.ListTailnetsAsync(ct));
    }

    [Fact]
    public async Task Start_TwoReplicasOnOnePostgresAtOnce_BothRunWithOneTailnetAndOneOwner()
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await postgres.CreateDatabaseAsync(ct);
        try
        {
            using var dirA = new TempDir();
            using var dirB = new TempDir();
            var startA = ControlServer.StartAsync(new ControlServerOptions { DataDir = dirA.Path, Listen = "http://127.0.0.1:0", Postgres = connectionString }, ct: ct);
            var startB = ControlServer.StartAsync(new ControlServerOptions { DataDir = dirB.Path, Listen = "http://127.0.0.1:0", Postgres = connectionString }, ct: ct);
            await using var a = await startA;
            await using var b = await startB;

            var tailnets = await a.Service.Store.ListTailnetsAsync(ct);
            Assert.Equal("default", Assert.Single(tailnets).Name);
            Assert.Single(await b.Service.Store.ListUsersAsync(tailnets[0].Id, ct));
            // Exactly one replica created the owner and wrote its API key.
            Assert.True(File.Exists(dirA.File("owner-api-key")) ^ File.Exists(dirB.File("owner-api-key")));
            Assert.IsType<PostgresControlStore>(a.Service.Store);
        }
        finally
        {
            await postgres.DropDatabaseAsync(connectionString);
        }
    }
}
