using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Weft.Control.Auth;
using Weft.Control.Console;
using Weft.Control.Storage;

namespace Weft.Control.Hosting;

/// <summary>The admin console's part of the composition root: sign-in (cookie, local accounts, OIDC) and the Blazor console at /admin.</summary>
public sealed partial class ControlServer
{
    /// <summary>The store the options name: PostgreSQL when set, else the SQLite file of the data directory.</summary>
    internal static async Task<IControlStore> OpenStoreAsync(ControlServerOptions options, CancellationToken ct) =>
        options.Postgres is { } pg
            ? await PostgresControlStore.OpenAsync(pg, ct).ConfigureAwait(false)
            : await SqliteControlStore.OpenAsync(Path.Combine(options.DataDir, ControlConstants.DatabaseFile), ct).ConfigureAwait(false);

    /// <summary>Services of the console: authentication, anti-forgery, password logins, Blazor with server interactivity, MudBlazor.</summary>
    private static void AddConsole(WebApplicationBuilder builder, ControlServerOptions options)
    {
        ConsoleAuthentication.Add(builder.Services, options);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<ConsoleSession>();
        builder.Services.AddScoped<ConsoleActions>();
    }

    /// <summary>Middleware and endpoints of the console; the API keeps its own bearer-key checks.</summary>
    private static void UseConsole(WebApplication app, ControlServerOptions options, TimeProvider time)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        AuthEndpoints.Map(app, options, time);
        ConsoleAssets.Map(app);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization();
    }
}
