using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Control.Hosting;
using Weft.Control.Protocol;

namespace Weft.Control.Auth;

/// <summary>
/// The pages around the console that work without it: sign in (password or SSO), sign out, and the login
/// link a node prints (`weft up` without an auth key), where the signed-in person approves the device as theirs.
/// Plain HTML forms, each with an anti-forgery token.
/// </summary>
internal static class AuthEndpoints
{
    /// <summary>Password attempts one source address may make in a burst, then per minute: slows guessing to a crawl.</summary>
    private const int PasswordBurst = 10;
    private const int PasswordPerMinute = 6;

    public static void Map(IEndpointRouteBuilder app, ControlServerOptions options, TimeProvider time)
    {
        var limiter = new RegistrationRateLimiter(PasswordBurst, PasswordPerMinute, time);
        app.MapGet("/login", async (HttpContext http, LocalAccounts accounts, IAntiforgery antiforgery) =>
            await LoginPageAsync(http, accounts, antiforgery, options, http.Request.Query["error"].ToString(), 200).ConfigureAwait(false));
        app.MapPost("/login", async (HttpContext http, LocalAccounts accounts, IAntiforgery antiforgery, ControlService service, ILoggerFactory loggers) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return await LoginPageAsync(http, accounts, antiforgery, options, "the form expired; try again", 400).ConfigureAwait(false);
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
            var login = form["login"].ToString().Trim();
            var password = form["password"].ToString();
            var source = http.Connection.RemoteIpAddress ?? IPAddress.None;
            if (!limiter.TryAcquire(source))
            {
                return await LoginPageAsync(http, accounts, antiforgery, options, "too many attempts; wait a minute", 429).ConfigureAwait(false);
            }

            var userId = login.Length > 0 && password.Length > 0 ? await accounts.VerifyAsync(login, password, http.RequestAborted).ConfigureAwait(false) : null;
            var user = userId is { } id ? await service.Store.GetUserAsync(id, http.RequestAborted).ConfigureAwait(false) : null;
            var logger = loggers.CreateLogger("Weft.Control.Auth");
            if (user is null)
            {
                ConsoleAuthentication.LogPasswordFailed(logger, login, source.ToString());
                return await LoginPageAsync(http, accounts, antiforgery, options, "wrong email or password", 401).ConfigureAwait(false);
            }

            await http.SignInAsync(ConsoleClaims.Scheme, ConsoleClaims.Principal(user, "password")).ConfigureAwait(false);
            ConsoleAuthentication.LogSignedIn(logger, user.Login, "password");
            return Results.Redirect(LocalPath(form["returnUrl"].ToString()));
        });
        app.MapGet("/login/oidc", (HttpContext http) => options.Oidc is null
            ? Results.Problem(statusCode: 404, detail: "single sign-on is not configured")
            : Results.Challenge(new AuthenticationProperties { RedirectUri = LocalPath(http.Request.Query["returnUrl"].ToString()) }, [ConsoleClaims.OidcScheme]));
        app.MapPost("/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return Results.Problem(statusCode: 400, detail: "missing or invalid anti-forgery token");
            }

            await http.SignOutAsync(ConsoleClaims.Scheme).ConfigureAwait(false);
            return Results.Redirect("/login");
        });

        // Ordered before the server's own plain-text /register/{id} answer, which this page replaces.
        app.MapGet("/register/{id}", async (HttpContext http, string id, ControlService service, IAntiforgery antiforgery) =>
        {
            var user = await CurrentUserAsync(http, service).ConfigureAwait(false);
            if (user is null)
            {
                return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.Path }, [ConsoleClaims.Scheme]);
            }

            var pending = await service.GetPendingAsync(id, http.RequestAborted).ConfigureAwait(false);
            if (pending is not { NodeId: null })
            {
                return Page(404, "Login link not valid", "<p>This login link is unknown, has expired, or was used already. Run <code>weft up</code> again for a new one.</p>");
            }

            var tokens = antiforgery.GetAndStoreTokens(http);
            var tailnet = await service.Store.GetTailnetAsync(user.TailnetId, http.RequestAborted).ConfigureAwait(false);
            return Page(200, "Connect device",
                $"""
                <p>The device <b>{Html(pending.Hostname)}</b> asks to join the tailnet <b>{Html(tailnet?.Name ?? "")}</b> as <b>{Html(user.Login)}</b>.</p>
                <form method="post" action="/register/{Html(id)}">
                  <input type="hidden" name="{Html(tokens.FormFieldName)}" value="{Html(tokens.RequestToken ?? "")}">
                  <button type="submit" id="approve">Connect</button>
                </form>
                """);
        }).WithOrder(-1);
        app.MapPost("/register/{id}", async (HttpContext http, string id, ControlService service, IAntiforgery antiforgery, ILoggerFactory loggers) =>
        {
            var user = await CurrentUserAsync(http, service).ConfigureAwait(false);
            if (user is null)
            {
                return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.Path }, [ConsoleClaims.Scheme]);
            }

            if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return Page(400, "Form expired", "<p>The form expired. Open the login link again.</p>");
            }

            var node = await service.ApprovePendingAsync(id, user, http.RequestAborted).ConfigureAwait(false);
            if (node is null)
            {
                return Page(404, "Login link not valid", "<p>This login link is unknown, has expired, or was used already. Run <code>weft up</code> again for a new one.</p>");
            }

            ConsoleAuthentication.LogDeviceApproved(loggers.CreateLogger("Weft.Control.Auth"), id, node.Name, user.Login);
            return Page(200, "Device connected", $"<p id=\"connected\"><b>{Html(node.Name)}</b> is connected as {Html(user.Login)}, with address {Html(node.IPv4.ToString())}. You can close this page.</p>");
        }).WithOrder(-1);
    }

    /// <summary>The signed-in user, read fresh from the store (a removed user's cookie signs in no one), or null.</summary>
    internal static async Task<Storage.UserRecord?> CurrentUserAsync(HttpContext http, ControlService service)
    {
        var result = await http.AuthenticateAsync(ConsoleClaims.Scheme).ConfigureAwait(false);
        return ConsoleClaims.UserIdOf(result.Principal) is { } id ? await service.Store.GetUserAsync(id, http.RequestAborted).ConfigureAwait(false) : null;
    }

    /// <summary>A return URL only when it stays on this server: an open redirect would let a link send people anywhere after login.</summary>
    internal static string LocalPath(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/admin";

    private static async Task<IResult> LoginPageAsync(HttpContext http, LocalAccounts accounts, IAntiforgery antiforgery, ControlServerOptions options, string error, int status)
    {
        var passwords = await accounts.AnyAsync(http.RequestAborted).ConfigureAwait(false);
        var returnUrl = LocalPath(http.Request.Query["ReturnUrl"].ToString() is { Length: > 0 } r ? r : http.Request.Query["returnUrl"].ToString());
        var body = new StringBuilder();
        if (error.Length > 0)
        {
            body.Append(System.Globalization.CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\">{Html(error)}</p>");
        }

        if (options.Oidc is not null)
        {
            body.Append(System.Globalization.CultureInfo.InvariantCulture, $"<p><a class=\"button\" id=\"sso\" href=\"/login/oidc?returnUrl={Uri.EscapeDataString(returnUrl)}\">Sign in with single sign-on</a></p>");
        }

        if (passwords)
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            body.Append(System.Globalization.CultureInfo.InvariantCulture, $"""
                <form method="post" action="/login">
                  <input type="hidden" name="{Html(tokens.FormFieldName)}" value="{Html(tokens.RequestToken ?? "")}">
                  <input type="hidden" name="returnUrl" value="{Html(returnUrl)}">
                  <label>Email <input name="login" type="email" autocomplete="username" required autofocus></label>
                  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
                  <button type="submit" id="password-login">Sign in</button>
                </form>
                """);
        }

        if (options.Oidc is null && !passwords)
        {
            body.Append("<p>No way to sign in is set up yet. Create the first admin with <code>weft control accounts create-admin --email ADDRESS --password-file FILE</code>, or configure single sign-on (oidc).</p>");
        }

        return Page(status, "Sign in to Weft", body.ToString());
    }

    private static IResult Page(int status, string title, string body) => Results.Content(
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{Html(title)}} · Weft</title>
        <style>
          :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
          body { display: grid; place-items: center; min-height: 90vh; margin: 0; }
          main { max-width: 26rem; width: 90%; padding: 2rem; border-radius: 12px; box-shadow: 0 2px 12px #0003; }
          label { display: block; margin: .8rem 0; } input:not([type=hidden]) { display: block; width: 100%; padding: .5rem; margin-top: .3rem; box-sizing: border-box; }
          button, .button { display: inline-block; padding: .6rem 1.2rem; border: 0; border-radius: 6px; background: #4f46e5; color: #fff; text-decoration: none; font-size: 1rem; cursor: pointer; }
          .error { color: #dc2626; }
        </style></head>
        <body><main><h1>{{Html(title)}}</h1>{{body}}</main></body></html>
        """, "text/html; charset=utf-8", Encoding.UTF8, status);

    private static string Html(string text) => HtmlEncoder.Default.Encode(text);
}
