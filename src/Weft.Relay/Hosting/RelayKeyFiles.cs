using System.Security.Cryptography.X509Certificates;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;

namespace Weft.Relay.Hosting;

/// <summary>The relay's files: its private key (hex, mode 0600, created on first start), the region's mesh key, and TLS PEM files.</summary>
public static class RelayKeyFiles
{
    /// <summary>The private key file's name in the data directory.</summary>
    public const string PrivateKeyFile = "relay.key";

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Loads the relay key from <paramref name="dataDir"/>, or creates it readable by the owner only.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a key; the message names it.</exception>
    public static Key32 LoadOrCreatePrivateKey(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, PrivateKeyFile);
        if (File.Exists(path))
        {
            return Key32.TryParseHex(File.ReadAllText(path).Trim(), out var key)
                ? key
                : throw new InvalidDataException($"{path} does not hold a 64-digit hex private key");
        }

        var fresh = Curve25519.GeneratePrivateKey();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options))
        {
            writer.Write(fresh.ToHex());
            writer.Write('\n');
        }

        return fresh;
    }

    /// <summary>
    /// Reads the region's mesh secret (any text; every relay of the region holds the same file) and derives the mesh key.
    /// Refuses a file others can read: whoever holds it can join the mesh and see every node's presence.
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, empty, or readable by group or others.</exception>
    public static byte[] LoadMeshKey(string path)
    {
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
            {
                throw new InvalidDataException($"mesh key file {path} is readable by others; chmod 600 it");
            }

            var secret = File.ReadAllText(path).Trim();
            return secret.Length < 16
                ? throw new InvalidDataException($"mesh key file {path} holds fewer than 16 characters of secret")
                : RelayHandshake.DeriveMeshKey(System.Text.Encoding.UTF8.GetBytes(secret));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read mesh key file {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Loads a TLS certificate and its key from PEM files.</summary>
    /// <exception cref="InvalidDataException">A file is missing or not PEM of the expected kind.</exception>
    public static X509Certificate2 LoadCertificate(string certFile, string keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // Exported and reloaded so SslStream can use the key on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidDataException($"cannot load TLS certificate {certFile} with key {keyFile}: {ex.Message}", ex);
        }
    }
}
