using System.Text.Json;
using System.Text.Json.Serialization;
using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Auth;

/// <summary>
/// Password logins for setups without an identity provider. Each account names a user of the store; the
/// password hashes live in a file of the data directory (mode 0600), never in the database the API reads.
/// </summary>
internal sealed class LocalAccounts
{
    /// <summary>File name in the data directory.</summary>
    public const string FileName = "local-accounts.json";

    /// <summary>Hashed when the login is unknown, so an unknown login costs as long as a wrong password.</summary>
    private static readonly string DecoyHash = PasswordHash.Create("decoy password that matches nothing");

    private readonly string _path;

    /// <summary>_gate serialises writers of the file within this process.</summary>
    private readonly Lock _gate = new();

    public LocalAccounts(string dataDir) => _path = Path.Combine(dataDir, FileName);

    /// <summary>True when at least one account exists (the login page then offers a password form).</summary>
    public bool Any => Read().Count > 0;

    /// <summary>The user id of the account when <paramref name="password"/> is right, else null.</summary>
    public long? Verify(string login, string password)
    {
        var account = Read().Find(a => string.Equals(a.Login, login, StringComparison.OrdinalIgnoreCase));
        var ok = PasswordHash.Verify(password, account?.Hash ?? DecoyHash);
        return ok && account is not null ? account.UserId : null;
    }

    /// <summary>Adds or replaces the account of <paramref name="login"/>.</summary>
    public void Set(string login, long userId, string password)
    {
        lock (_gate)
        {
            var accounts = Read();
            accounts.RemoveAll(a => string.Equals(a.Login, login, StringComparison.OrdinalIgnoreCase));
            accounts.Add(new LocalAccount(login, userId, PasswordHash.Create(password)));
            var temp = _path + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(stream, new LocalAccountFile(accounts), LocalAccountsJsonContext.Default.LocalAccountFile);
            }

            File.Move(temp, _path, overwrite: true);
        }
    }

    private List<LocalAccount> Read()
    {
        try
        {
            using var stream = File.OpenRead(_path);
            return [.. JsonSerializer.Deserialize(stream, LocalAccountsJsonContext.Default.LocalAccountFile)?.Accounts ?? []];
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{_path} is not a valid local accounts file: {ex.Message}", ex);
        }
    }

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

        new LocalAccounts(options.DataDir).Set(user.Login, user.Id, password);
        return user;
    }
}

/// <summary>One password login: the store user it signs in as, and the password hash.</summary>
internal sealed record LocalAccount(
    [property: JsonPropertyName("login")] string Login,
    [property: JsonPropertyName("userId")] long UserId,
    [property: JsonPropertyName("hash")] string Hash);

/// <summary>The accounts file.</summary>
internal sealed record LocalAccountFile([property: JsonPropertyName("accounts")] IReadOnlyList<LocalAccount> Accounts);

[JsonSerializable(typeof(LocalAccountFile))]
internal sealed partial class LocalAccountsJsonContext : JsonSerializerContext;
