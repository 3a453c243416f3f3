using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Control.Hosting;

namespace Weft.Control.Auth;

/// <summary>
/// Registers how people sign in to the console: a cookie (HttpOnly, SameSite=Lax, Secure on https), set
/// after a local password login or an OpenID Connect login (authorization code with PKCE).
/// </summary>
internal static partial class ConsoleAuthentication
{
    /// <summary>Where the OIDC provider sends the browser back to.</summary>
    public const string CallbackPath = "/login/oidc/callback";

    /// <summary>A console session lasts this long without use; each request slides it.</summary>
    private static readonly TimeSpan SessionIdle = TimeSpan.FromHours(12);

    public static void Add(IServiceCollection services, ControlServerOptions options)
    {
        var https = IsHttps(options);
        // Cookie and anti-forgery keys live in the data dir so sessions survive a restart.
        var keys = Directory.CreateDirectory(Path.Combine(options.DataDir, "console-keys"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keys.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        services.AddDataProtection().SetApplicationName("weft-control").PersistKeysToFileSystem(keys);
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "weft_af";
            o.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });
        services.AddSingleton(sp => new LocalAccounts(sp.GetRequiredService<ControlService>().Store, sp.GetRequiredService<ControlService>().Time));
        var auth = services.AddAuthentication(ConsoleClaims.Scheme).AddCookie(ConsoleClaims.Scheme, o =>
        {
            o.Cookie.Name = "weft_console";
            o.Cookie.HttpOnly = true;
            // Lax, not Strict: a login link opened from a terminal or mail must arrive signed in.
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = SessionIdle;
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/login";
        });
        services.AddAuthorization();
        if (options.Oidc is not { } oidc)
        {
            return;
        }

        var secret = oidc.ClientSecretFile is { } file ? ReadSecret(file) : null;
        auth.AddOpenIdConnect(ConsoleClaims.OidcScheme, o =>
        {
            o.Authority = oidc.Issuer;
            o.RequireHttpsMetadata = oidc.Issuer.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            o.ClientId = oidc.ClientId;
            o.ClientSecret = secret;
            o.ResponseType = "code";
            o.UsePkce = true;
            // The code comes back in the query of a top-level GET, so Lax cookies (correlation, nonce) are sent with it;
            // form_post would need SameSite=None cookies, which browsers drop on plain http.
            o.ResponseMode = "query";
            o.CallbackPath = CallbackPath;
            o.SignInScheme = ConsoleClaims.Scheme;
            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.Scope.Clear();
            foreach (var scope in oidc.Scopes)
            {
                o.Scope.Add(scope);
            }

            foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
            {
                cookie.SameSite = SameSiteMode.Lax;
                cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            }

            o.Events.OnTokenValidated = ctx => OnTokenValidatedAsync(ctx, options, oidc);
            o.Events.OnRemoteFailure = ctx =>
            {
                // The provider refused, or our checks did: back to the login page with the reason, not an exception page.
                ctx.Response.Redirect("/login?error=" + Uri.EscapeDataString(ctx.Failure?.Message ?? "sign-in failed"));
                ctx.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>Swaps the provider's identity for the store user it belongs to (found, or placed and created on first login).</summary>
    private static async Task OnTokenValidatedAsync(TokenValidatedContext ctx, ControlServerOptions options, OidcSettings oidc)
    {
        var service = ctx.HttpContext.RequestServices.GetRequiredService<ControlService>();
        var logger = ctx.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Weft.Control.Auth");
        var email = ctx.Principal?.FindFirst("email")?.Value;
        if (email is null)
        {
            ctx.Fail("the identity provider sent no email claim (is the email scope granted?)");
            return;
        }

        // A provider that says the address is unverified must not place anyone by its domain.
        if (string.Equals(ctx.Principal!.FindFirst("email_verified")?.Value, "false", StringComparison.OrdinalIgnoreCase))
        {
            ctx.Fail($"the identity provider has not verified {email}");
            return;
        }

        var name = ctx.Principal.FindFirst("name")?.Value;
        var user = await TailnetPlacement.PlaceAsync(service, options, oidc, email, name, ctx.HttpContext.RequestAborted).ConfigureAwait(false);
        if (user is null)
        {
            LogDomainRefused(logger, email);
            ctx.Fail($"{email} is not from a domain allowed to sign in here");
            return;
        }

        LogSignedIn(logger, user.Login, "oidc");
        ctx.Principal = ConsoleClaims.Principal(user, "oidc");
    }

    /// <summary>The client secret from its file; an unreadable file stops the start with one line naming it.</summary>
    private static string ReadSecret(string file)
    {
        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read oidc.clientSecretFile {file}: {ex.Message}", ex);
        }
    }

    private static bool IsHttps(ControlServerOptions options) =>
        (options.PublicUrl ?? options.Listen).StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Information, Message = "console sign-in: {Login} by {Method}")]
    internal static partial void LogSignedIn(ILogger logger, string login, string method);

    [LoggerMessage(Level = LogLevel.Warning, Message = "console sign-in refused: {Email} is not from an allowed domain")]
    private static partial void LogDomainRefused(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Warning, Message = "console password sign-in failed for {Login} from {Source}")]
    internal static partial void LogPasswordFailed(ILogger logger, string login, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "login link {Id}: device {Hostname} approved by {Login}")]
    internal static partial void LogDeviceApproved(ILogger logger, string id, string hostname, string login);
}
