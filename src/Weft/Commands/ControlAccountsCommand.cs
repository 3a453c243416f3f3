using System.CommandLine;
using Weft.Control.Auth;
using Weft.Control.Hosting;

namespace Weft;

/// <summary>
/// `weft control accounts create-admin --email ADDRESS --password-file FILE [--tailnet NAME] [--config FILE] [--data-dir DIR]`:
/// a password login for the admin console, made directly against the server's store (so it works before any API key exists).
/// </summary>
internal static class ControlAccountsCommand
{
    public static Command Create()
    {
        var email = new Option<string>("--email") { Description = "The admin's email address (their login)", Required = true };
        var passwordFile = new Option<string>("--password-file") { Description = "File holding the password (at least 12 characters; '-' reads standard input)", Required = true };
        var tailnet = new Option<string?>("--tailnet") { Description = "Tailnet to administer (default: the first one)" };
        var config = new Option<string?>("--config") { Description = "The server's JSON config file" };
        var dataDir = new Option<string?>("--data-dir") { Description = "The server's data directory (default ./weft-control)" };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string, when the server uses one" };
        var createAdmin = new Command("create-admin", "Create (or reset) a console admin with a password login: an owner of the tailnet")
        {
            email, passwordFile, tailnet, config, dataDir, postgres,
        };
        createAdmin.SetAction(async (parse, ct) =>
        {
            try
            {
                var options = ControlConfiguration.Load(parse.GetValue(config), null, o =>
                {
                    o.DataDir = parse.GetValue(dataDir) ?? o.DataDir;
                    o.Postgres = parse.GetValue(postgres) ?? o.Postgres;
                });
                var file = parse.GetValue(passwordFile)!;
                var password = (file == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(file, ct)).TrimEnd('\r', '\n');
                var (login, _) = await AdminAccount.CreateAsync(options, parse.GetValue(email)!, password, parse.GetValue(tailnet), ct);
                Console.WriteLine($"{login} can now sign in to the console as an owner");
                return 0;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"weft control accounts: {ex.Message}");
                return 2;
            }
        });
        var command = new Command("accounts", "Console logins kept by the server (for setups without single sign-on)") { createAdmin };
        return command;
    }
}
