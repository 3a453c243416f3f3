using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Weft.Node.Tests.LocalApi;

/// <summary>
/// An in-process HTTP server on a Unix socket that answers local API paths with canned JSON and records
/// what the client sent, so client tests check the wire (paths, methods, camelCase bodies) rather than types.
/// </summary>
internal sealed class FakeLocalApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _answers = new();

    private FakeLocalApiServer(WebApplication app, string dir, string socketPath)
    {
        _app = app;
        _dir = dir;
        SocketPath = socketPath;
    }

    /// <summary>The socket the fake listens on.</summary>
    public string SocketPath { get; }

    /// <summary>Requests as "METHOD /path?query" with their bodies, in arrival order.</summary>
    public ConcurrentQueue<(string Request, string Body)> Received { get; } = new();

    public static async Task<FakeLocalApiServer> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("weft-lapi-").FullName;
        var socketPath = Path.Combine(dir, "s.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var server = new FakeLocalApiServer(app, dir, socketPath);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    /// <summary>Answers "METHOD /localapi/v0/x" with this status and raw body from now on.</summary>
    public void Answer(string methodAndPath, int status, string body) => _answers[methodAndPath] = (status, body);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var key = $"{context.Request.Method} {context.Request.Path}";
        Received.Enqueue((key + context.Request.QueryString, body));
        var (status, answer) = _answers.TryGetValue(key, out var a) ? a : (404, """{"error":"no such endpoint"}""");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer, context.RequestAborted);
    }
}

/// <summary>A socket file nobody listens on any more, as a crashed daemon leaves behind.</summary>
internal static class StaleSocket
{
    public static string Create(string dir)
    {
        var path = Path.Combine(dir, "stale.sock");
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            s.Bind(new UnixDomainSocketEndPoint(path));
            s.Listen();
        }

        return path;
    }
}
