using Weft.Core.Crypto;

namespace Weft.Core.Keys;

/// <summary>The text prefixes that tell key kinds apart wherever keys are printed or parsed.</summary>
public static class KeyPrefix
{
    public const string MachinePublic = "mkey:";
    public const string MachinePrivate = "privkey:";
    public const string NodePublic = "nodekey:";
    public const string NodePrivate = "privkey:";
    public const string DiscoPublic = "discokey:";
    public const string DiscoPrivate = "privkey:";

    /// <summary>Parses "prefix" followed by 64 hex digits.</summary>
    public static bool TryParse(string prefix, ReadOnlySpan<char> text, out Key32 key)
    {
        key = default;
        return text.StartsWith(prefix, StringComparison.Ordinal) && Key32.TryParseHex(text[prefix.Length..], out key);
    }
}

/// <summary>A device's machine public key: proves the device to the coordination server.</summary>
public readonly record struct MachinePublic(Key32 Key)
{
    public override string ToString() => KeyPrefix.MachinePublic + Key.ToHex();

    public static bool TryParse(string text, out MachinePublic key)
    {
        var ok = KeyPrefix.TryParse(KeyPrefix.MachinePublic, text, out var raw);
        key = new MachinePublic(raw);
        return ok;
    }
}

/// <summary>A node's public key: the WireGuard static public key of one login on one device.</summary>
public readonly record struct NodePublic(Key32 Key)
{
    public override string ToString() => KeyPrefix.NodePublic + Key.ToHex();

    public static bool TryParse(string text, out NodePublic key)
    {
        var ok = KeyPrefix.TryParse(KeyPrefix.NodePublic, text, out var raw);
        key = new NodePublic(raw);
        return ok;
    }
}

/// <summary>A daemon run's disco public key: authenticates path-discovery messages.</summary>
public readonly record struct DiscoPublic(Key32 Key)
{
    public override string ToString() => KeyPrefix.DiscoPublic + Key.ToHex();

    public static bool TryParse(string text, out DiscoPublic key)
    {
        var ok = KeyPrefix.TryParse(KeyPrefix.DiscoPublic, text, out var raw);
        key = new DiscoPublic(raw);
        return ok;
    }
}

/// <summary>A private Curve25519 key of some kind; never printed, never sent.</summary>
public readonly record struct PrivateKey(Key32 Key)
{
    /// <summary>A fresh clamped key.</summary>
    public static PrivateKey Generate() => new(Curve25519.GeneratePrivateKey());

    /// <summary>The matching public key bytes.</summary>
    public Key32 PublicKey() => Curve25519.PublicKey(Key);

    /// <summary>Private keys never print their bytes.</summary>
    public override string ToString() => "privkey:<redacted>";
}
