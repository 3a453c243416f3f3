namespace Weft.Lab;

/// <summary>A WireGuard key pair in the base64 form `wg` reads and prints, made by `wg genkey` / `wg pubkey`.</summary>
public sealed record WireGuardKeyPair(string PrivateKey, string PublicKey)
{
    /// <summary>Generates a key pair with the `wg` tool (independent of the implementation under test).</summary>
    public static async Task<WireGuardKeyPair> GenerateAsync()
    {
        var privateKey = (await Command.RunCheckedAsync(["wg", "genkey"]).ConfigureAwait(false)).StandardOutput.Trim();
        var publicKey = (await Command.RunCheckedAsync(["wg", "pubkey"], privateKey + "\n").ConfigureAwait(false)).StandardOutput.Trim();
        return new WireGuardKeyPair(privateKey, publicKey);
    }

    /// <summary>The 32 raw bytes of the public key.</summary>
    public byte[] PublicKeyBytes => Convert.FromBase64String(PublicKey);

    /// <summary>Keeps the private key out of test logs.</summary>
    public override string ToString() => $"WireGuardKeyPair {{ PublicKey = {PublicKey} }}";
}
