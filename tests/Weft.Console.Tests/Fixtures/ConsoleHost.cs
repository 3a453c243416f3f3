using Weft.Control.Auth;
using Weft.Control.Hosting;
using Weft.Control.Storage;

namespace Weft.Console.Tests.Fixtures;

/// <summary>
/// A real `weft control` on 127.0.0.1 (random port, temporary data dir) whose console signs in through
/// <see cref="OidcProvider"/> when given one. Its first owner is <see cref="AdminEmail"/>; example.com people join
/// the first tailnet, partner.test people their domain's tailnet, gmail.com people personal tailnets.
/// </summary>
internal sealed class ConsoleHost : IAsyncDisposable
{
    public const string AdminEmail = "admin@example.com";

    private readonly TempDir _dir;

    private ConsoleHost(TempDir dir, ControlServer server, ControlServerOptions options)
    {
        _dir = dir;
        Server = server;
        Options = options;
    }

    public ControlServer Server { get; }

    public ControlServerOptions Options { get; }

    public Uri Address => Server.Address;

    public IControlStore Store => Server.Service.Store;

    public string DataDir => _dir.Path;

    public static async Task<ConsoleHost> StartAsync(OidcProvider? provider, CancellationToken ct, Action<ControlServerOptions>? configure = null, TimeProvider? time = null)
    {
        var dir = new TempDir();
        var options = new ControlServerOptions { DataDir = dir.Path, Listen = "http://127.0.0.1:0", FirstAdmin = AdminEmail };
        if (provider is not null)
        {
            var secretFile = dir.File("oidc-secret");
            await File.WriteAllTextAsync(secretFile, OidcProvider.ClientSecret + "\n", ct);
            options.Oidc = new OidcSettings
            {
                Issuer = provider.Issuer.ToString(),
                ClientId = OidcProvider.ClientId,
                ClientSecretFile = secretFile,
                AllowedDomains = ["example.com", "partner.test", "gmail.com"],
                OrganizationDomains = ["example.com"],
            };
        }

        configure?.Invoke(options);
        try
        {
            var server = await ControlServer.StartAsync(options, time: time, ct: ct);
            return new ConsoleHost(dir, server, options);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>The first tailnet.</summary>
    public async Task<TailnetRecord> TailnetAsync(CancellationToken ct) => (await Store.ListTailnetsAsync(ct))[0];

    /// <summary>The user of <paramref name="login"/> in any tailnet, or null.</summary>
    public async Task<UserRecord?> UserAsync(string login, CancellationToken ct)
    {
        foreach (var t in await Store.ListTailnetsAsync(ct))
        {
            var u = (await Store.ListUsersAsync(t.Id, ct)).FirstOrDefault(u => u.Login == login);
            if (u is not null)
            {
                return u;
            }
        }

        return null;
    }

    /// <summary>An interactive registration as `weft up` without an auth key makes it; returns the login link's path.</summary>
    public async Task<string> PendingLoginAsync(string hostname, CancellationToken ct)
    {
        var request = new Weft.Core.Control.RegisterRequest { NodeKey = "nodekey:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), HostInfo = new() { Hostname = hostname } };
        var pending = await Server.Service.AddPendingAsync("mkey:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), request, ct);
        return "/register/" + pending.Id;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}
