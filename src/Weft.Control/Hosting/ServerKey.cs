using Weft.Core.Crypto;

namespace Weft.Control.Hosting;

/// <summary>The server's static Curve25519 key, kept as hex in the data directory with mode 0600 and created on first start.</summary>
internal static class ServerKey
{
    /// <summary>Loads the key file, or creates it (owner read/write only) when missing.</summary>
    public static Key32 LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, ControlConstants.ServerKeyFile);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!Key32.TryParseHex(text, out var key))
            {
                throw new InvalidDataException($"{path} does not hold a 64-digit hex private key");
            }

            return key;
        }

        var fresh = Curve25519.GeneratePrivateKey();
        SecretFile.Write(path, fresh.ToHex(), createNew: true);
        return fresh;
    }
}
