using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Auth;

/// <summary>
/// Password logins for setups without an identity provider. Each account names a user of the store and keeps
/// the password's hash in the database (never served by the API), so every replica sharing it accepts the same
/// logins. Accounts of older servers, kept in a file of the data directory, are imported once at start.
/// </summary>
internal sealed partial class LocalAccounts(IControlStore store, TimeProvider time)
{
    /// <summary>The file older servers kept accounts in; imported once, then renamed with <see cref="ImportedSuffix"/>.</summary>
    public const string FileName = "local-accounts.json";

    /// <summary>Appended to <see cref="FileName"/> once imported, so the import runs once and the file stays for reference.</summary>
    public const string ImportedSuffix = ".imported";

    /// <summary>Hashed when the login is unknown, so an unknown login costs as long as a wrong password.</summary>
    private static readonly string DecoyHash = PasswordHash.Create("decoy password that matches nothing");

    /// <summary>True when at least one account exists (the login page then offers a password form).</summary>
    public Task<bool> AnyAsync(CancellationToken ct = default) => store.AnyLocalAccountAsync(ct);

    /// <summary>The user id of the account when <paramref name="password"/> is right, else null.</summary>
    public async Task<long?> VerifyAsync(string login, string password, CancellationToken ct = default)
    {
        var account = await store.GetLocalAccountAsync(login, ct).ConfigureAwait(false);
        var ok = PasswordHash.Verify(password, account?.Hash ?? DecoyHash);
        return ok && account is not null ? account.UserId : null;
    }

    /// <summary>Adds or replaces the account of <paramref name="login"/>.</summary>
    public Task SetAsync(string login, long userId, string password, CancellationToken ct = default) =>
        store.SetLocalAccountAsync(login, userId, PasswordHash.Create(password), time.GetUtcNow(), replace: true, ct);

    /// <summary>
    /// Moves the accounts of an older server's file in <paramref name="dataDir"/> into the store, then renames the file
    /// so this runs once. An account whose login the store has already (set on another replica, say) or whose user is
    /// gone is skipped: the database is the truth. Returns how many were imported; a file that does not parse is logged
    /// and left in place, and password logins from it do not work until it is fixed.
    /// </summary>
    public static async Task<int> ImportFileAsync(IControlStore store, string dataDir, TimeProvider time, ILogger logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var path = Path.Combine(dataDir, FileName);
        LocalAccountFile? file;
        try
        {
            await using var stream = File.OpenRead(path);
            file = await JsonSerializer.DeserializeAsync(stream, LocalAccountsJsonContext.Default.LocalAccountFile, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
        catch (JsonException ex)
        {
            LogImportFailed(logger, path, ex.Message);
            return 0;
        }

        var imported = 0;
        foreach (var account in file?.Accounts ?? [])
        {
            if (account?.Login is not { Length: > 0 } login || account.Hash is not { Length: > 0 } hash
                || await store.GetUserAsync(account.UserId, ct).ConfigureAwait(false) is null)
            {
                continue;
            }

            if (await store.SetLocalAccountAsync(login, account.UserId, hash, time.GetUtcNow(), replace: false, ct).ConfigureAwait(false))
            {
                imported++;
            }
        }

        File.Move(path, path + ImportedSuffix, overwrite: true);
        LogImported(logger, imported, path, path + ImportedSuffix);
        return imported;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "imported {Count} password login(s) from {Path} into the database; the file is now {NewPath}")]
    private static partial void LogImported(ILogger logger, int count, string path, string newPath);

    [LoggerMessage(Level = LogLevel.Error, Message = "cannot import password logins from {Path}: {Reason}; fix or remove the file and restart")]
    private static partial void LogImportFailed(ILogger logger, string path, string reason);

    /// <summary>
    /// `weft control accounts create-admin`: makes <paramref name="email"/> an owner of the tailnet named
    /// <paramref name="tailnetName"/> (the first tailnet when null; created when the store is empty) and sets
    /// their password. Returns the user.
    /// </summary>
    /// <exception cref="InvalidDataException">The password is too short or the tailnet does not exist.</exception>
    public static async Task<UserRecord> CreateAdminAsync(ControlServerOptions options, string email, string password, string? tailnetName, TimeProvider time, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (password.Length < PasswordHash.MinLength)
        {
            throw new InvalidDataException($"the password must have at least {PasswordHash.MinLength} characters");
        }

        if (!ControlService.TryDomain(email, out _))
        {
            throw new InvalidDataException($"'{email}' is not an email address");
        }

        Directory.CreateDirectory(options.DataDir);
        await using var store = await ControlServer.OpenStoreAsync(options, ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var tailnets = await store.ListTailnetsAsync(ct).ConfigureAwait(false);
        TailnetRecord tailnet;
        if (tailnets.Count == 0)
        {
            var name = tailnetName ?? options.FirstTailnet;
            (tailnet, _) = await ControlServer.CreateTailnetOrLoadAsync(store, name, $"{name}.weft.internal", now, ct).ConfigureAwait(false);
        }
        else
        {
            tailnet = tailnetName is null ? tailnets[0] : tailnets.FirstOrDefault(t => string.Equals(t.Name, tailnetName, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidDataException($"tailnet '{tailnetName}' does not exist");
        }

        var users = await store.ListUsersAsync(tailnet.Id, ct).ConfigureAwait(false);
        var user = users.FirstOrDefault(u => string.Equals(u.Login, email, StringComparison.OrdinalIgnoreCase));
        if (user is null)
        {
            user = await store.CreateUserAsync(tailnet.Id, email, email, PolicyRoles.Owner, now, ct).ConfigureAwait(false);
        }
        else if (user.Role != PolicyRoles.Owner)
        {
            await store.SetUserRoleAsync(user.Id, PolicyRoles.Owner, ct).ConfigureAwait(false);
            user = user with { Role = PolicyRoles.Owner };
        }

        // Accounts an older version kept in the data directory first, so this one is set on top of them.
        await ImportFileAsync(store, options.DataDir, time, NullLogger.Instance, ct).ConfigureAwait(false);
        await new LocalAccounts(store, time).SetAsync(user.Login, user.Id, password, ct).ConfigureAwait(false);
        return user;
    }
}

/// <summary>One password login of the older accounts file: the store user it signs in as, and the password hash.</summary>
internal sealed record LocalAccount(
    [property: JsonPropertyName("login")] string Login,
    [property: JsonPropertyName("userId")] long UserId,
    [property: JsonPropertyName("hash")] string Hash);

/// <summary>The older accounts file, read once to import it.</summary>
internal sealed record LocalAccountFile([property: JsonPropertyName("accounts")] IReadOnlyList<LocalAccount> Accounts);

[JsonSerializable(typeof(LocalAccountFile))]
internal sealed partial class LocalAccountsJsonContext : JsonSerializerContext;
