using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Control.Auth;
using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Control.Tests.Fixtures;

namespace Weft.Control.Tests.Auth;

/// <summary>
/// Password logins kept in the database: an older server's accounts file is imported once and renamed, and two
/// replicas on one PostgreSQL database accept a login made by `weft control accounts create-admin`.
/// </summary>
public sealed partial class LocalAccountsTests(PostgresServer postgres)
{
    private const string Password = "a long enough password";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex HiddenInput();

    /// <summary>An accounts file as servers before the database kept them.</summary>
    private static string OldFile(params (string Login, long UserId, string Password)[] accounts) =>
        JsonSerializer.Serialize(new { accounts = accounts.Select(a => new { login = a.Login, userId = a.UserId, hash = PasswordHash.Create(a.Password) }) });

    [Fact]
    public async Task ImportFile_MovesAccountsIntoTheStoreOnce_KeepingWhatTheStoreHas()
    {
        using var dir = new TempDir();
        await using var store = await SqliteControlStore.OpenAsync(dir.File("control.db"), Ct);
        var tailnet = await store.CreateTailnetAsync("t", "t.weft.internal", DateTimeOffset.UtcNow, Ct);
        var ann = await store.CreateUserAsync(tailnet.Id, "ann@example.com", "Ann", "owner", DateTimeOffset.UtcNow, Ct);
        var bob = await store.CreateUserAsync(tailnet.Id, "bob@example.com", "Bob", "admin", DateTimeOffset.UtcNow, Ct);
        var accounts = new LocalAccounts(store, TimeProvider.System);
        await accounts.SetAsync("bob@example.com", bob.Id, "bob's password in the database", Ct);
        await File.WriteAllTextAsync(dir.File(LocalAccounts.FileName),
            OldFile(("Ann@Example.com", ann.Id, Password), ("bob@example.com", bob.Id, "bob's old file password"), ("gone@example.com", ann.Id + 1000, Password)), Ct);

        Assert.Equal(1, await LocalAccounts.ImportFileAsync(store, dir.Path, TimeProvider.System, NullLogger.Instance, Ct));
        Assert.False(File.Exists(dir.File(LocalAccounts.FileName)));
        Assert.True(File.Exists(dir.File(LocalAccounts.FileName + LocalAccounts.ImportedSuffix)));

        Assert.Equal(ann.Id, await accounts.VerifyAsync("ann@example.com", Password, Ct));
        Assert.Null(await accounts.VerifyAsync("ann@example.com", Password + "x", Ct));
        Assert.Equal(bob.Id, await accounts.VerifyAsync("BOB@example.com", "bob's password in the database", Ct));
        Assert.Null(await accounts.VerifyAsync("bob@example.com", "bob's old file password", Ct));
        Assert.Null(await accounts.VerifyAsync("gone@example.com", Password, Ct));
        Assert.Equal(0, await LocalAccounts.ImportFileAsync(store, dir.Path, TimeProvider.System, NullLogger.Instance, Ct));
    }

    [Fact]
    public async Task ImportFile_NotJson_IsLoggedAndLeftInPlace()
    {
        using var dir = new TempDir();
        await using var store = await SqliteControlStore.OpenAsync(dir.File("control.db"), Ct);
        await File.WriteAllTextAsync(dir.File(LocalAccounts.FileName), "{ not json", Ct);
        Assert.Equal(0, await LocalAccounts.ImportFileAsync(store, dir.Path, TimeProvider.System, NullLogger.Instance, Ct));
        Assert.True(File.Exists(dir.File(LocalAccounts.FileName)));
        Assert.False(await store.AnyLocalAccountAsync(Ct));
    }

    [Fact]
    public async Task ServerStart_ImportsTheOldFile_AndTheLoginWorks()
    {
        using var dir = new TempDir();
        var options = new ControlServerOptions { DataDir = dir.Path, Listen = "http://127.0.0.1:0" };
        options.Relays.StunPort = 0;
        long ownerId;
        await using (var first = await ControlServer.StartAsync(options, ct: Ct))
        {
            var tailnet = (await first.Service.Store.ListTailnetsAsync(Ct))[0];
            ownerId = (await first.Service.Store.ListUsersAsync(tailnet.Id, Ct))[0].Id;
        }

        await File.WriteAllTextAsync(dir.File(LocalAccounts.FileName), OldFile((options.FirstAdmin, ownerId, Password)), Ct);
        await using var server = await ControlServer.StartAsync(options, ct: Ct);
        Assert.True(File.Exists(dir.File(LocalAccounts.FileName + LocalAccounts.ImportedSuffix)));
        Assert.Equal(HttpStatusCode.Redirect, await PasswordLoginAsync(server.Address, options.FirstAdmin, Password));
        Assert.Equal(HttpStatusCode.Unauthorized, await PasswordLoginAsync(server.Address, options.FirstAdmin, "a wrong but long password"));
    }

    [Fact]
    public async Task TwoReplicasOnOnePostgres_AcceptTheSameLogin()
    {
        var database = await postgres.CreateDatabaseAsync(Ct);
        try
        {
            using var dir1 = new TempDir();
            using var dir2 = new TempDir();
            var (login, _) = await AdminAccount.CreateAsync(new ControlServerOptions { DataDir = dir1.Path, Postgres = database }, "root@example.com", Password, null, Ct);
            Assert.False(File.Exists(dir1.File(LocalAccounts.FileName)));

            ControlServerOptions Replica(TempDir dir)
            {
                var o = new ControlServerOptions { DataDir = dir.Path, Listen = "http://127.0.0.1:0", Postgres = database };
                o.Relays.StunPort = 0;
                return o;
            }

            await using var one = await ControlServer.StartAsync(Replica(dir1), ct: Ct);
            await using var two = await ControlServer.StartAsync(Replica(dir2), ct: Ct);
            Assert.Equal(HttpStatusCode.Redirect, await PasswordLoginAsync(one.Address, login, Password));
            Assert.Equal(HttpStatusCode.Redirect, await PasswordLoginAsync(two.Address, login, Password));
            Assert.Equal(HttpStatusCode.Unauthorized, await PasswordLoginAsync(two.Address, login, Password + "x"));
        }
        finally
        {
            await postgres.DropDatabaseAsync(database);
        }
    }

    /// <summary>Submits the login page's form as a browser would (with its anti-forgery token); the status of the answer.</summary>
    private static async Task<HttpStatusCode> PasswordLoginAsync(Uri server, string login, string password)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { BaseAddress = server };
        var page = await http.GetStringAsync(new Uri("/login", UriKind.Relative), Ct);
        var token = HiddenInput().Match(page);
        Assert.True(token.Success, "the login page has no password form");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [WebUtility.HtmlDecode(token.Groups[1].Value)] = WebUtility.HtmlDecode(token.Groups[2].Value),
            ["login"] = login,
            ["password"] = password,
        });
        using var response = await http.PostAsync(new Uri("/login", UriKind.Relative), form, Ct);
        return response.StatusCode;
    }
}
