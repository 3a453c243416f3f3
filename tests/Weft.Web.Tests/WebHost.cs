using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Node.Web;

namespace Weft.Web.Tests;

/// <summary>A fake daemon and a `weft web` server in front of it on a free loopback port, torn down together.</summary>
public sealed class WebHost : IAsyncDisposable
{
    private WebHost(FakeDaemon daemon, WebServer server)
    {
        Daemon = daemon;
        Server = server;
    }

    internal FakeDaemon Daemon { get; }

    public WebServer Server { get; }

    /// <summary>Starts both; <paramref name="socketPath"/> points `weft web` elsewhere, <paramref name="configured"/> false gives a fresh daemon.</summary>
    public static async Task<WebHost> StartAsync(string? socketPath = null, bool configured = true)
    {
        var daemon = await FakeDaemon.StartAsync(configured);
        var server = await WebServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), socketPath ?? daemon.SocketPath, NullLoggerFactory.Instance, CancellationToken.None);
        return new WebHost(daemon, server);
    }

    /// <summary>An HTTP client with its own cookie jar, based at the server's address.</summary>
    public HttpClient Client() =>
        new(new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseProxy = false }) { BaseAddress = Server.Address };

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Daemon.DisposeAsync();
    }
}
