using System.Globalization;
using System.Net;
using Weft.Core.Crypto;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// Writes the key=value lines of a `get=1` answer in wireguard-go's order and formats (the caller adds
/// the errno line). Keys are written straight from their bytes so no secret becomes a string.
/// </summary>
public static class UapiSerializer
{
    private const long NanosecondsPerTick = 100;

    /// <summary>Writes the device lines, then each peer's lines, each ending in '\n'.</summary>
    public static void WriteGet(UapiDeviceState state, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(w);
        if (state.PrivateKey is { IsZero: false } privateKey)
        {
            WriteKey(w, "private_key", privateKey);
        }
        if (state.ListenPort != 0)
        {
            WriteNumber(w, "listen_port", state.ListenPort);
        }
        if (state.FwMark != 0)
        {
            WriteNumber(w, "fwmark", state.FwMark);
        }
        foreach (var peer in state.Peers)
        {
            WritePeer(peer, w);
        }
    }

    /// <summary>Writes the line that ends every answer: "errno=N" and the blank line.</summary>
    public static void WriteErrno(UapiErrno errno, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        Span<char> digits = stackalloc char[12];
        ((int)errno).TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        w.Write("errno=");
        w.Write(digits[..written]);
        w.Write("\n\n");
    }

    private static void WritePeer(UapiPeerState peer, TextWriter w)
    {
        WriteKey(w, "public_key", peer.PublicKey);
        WriteKey(w, "preshared_key", peer.PresharedKey);
        w.Write("protocol_version=");
        w.Write(UapiConstants.ProtocolVersion);
        w.Write('\n');
        if (peer.Endpoint is { } endpoint)
        {
            w.Write("endpoint=");
            w.Write(endpoint.ToString());
            w.Write('\n');
        }
        var (seconds, nanoseconds) = SplitUnixTime(peer.LastHandshake);
        WriteNumber(w, "last_handshake_time_sec", seconds);
        WriteNumber(w, "last_handshake_time_nsec", nanoseconds);
        WriteNumber(w, "tx_bytes", peer.TxBytes);
        WriteNumber(w, "rx_bytes", peer.RxBytes);
        WriteNumber(w, "persistent_keepalive_interval", peer.PersistentKeepaliveInterval);
        foreach (var prefix in peer.AllowedIps)
        {
            WritePrefix(w, prefix);
        }
    }

    /// <summary>Seconds and nanoseconds since the Unix epoch; zero for never (or before the epoch).</summary>
    internal static (ulong Seconds, ulong Nanoseconds) SplitUnixTime(DateTimeOffset? time)
    {
        if (time is not { } value)
        {
            return (0, 0);
        }
        var ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks <= 0)
        {
            return (0, 0);
        }
        return ((ulong)(ticks / TimeSpan.TicksPerSecond), (ulong)(ticks % TimeSpan.TicksPerSecond * NanosecondsPerTick));
    }

    private static void WriteKey(TextWriter w, string name, Key32 key)
    {
        Span<char> hex = stackalloc char[Key32.Length * 2];
        ReadOnlySpan<byte> bytes = key;
        Convert.TryToHexStringLower(bytes, hex, out _);
        w.Write(name);
        w.Write('=');
        w.Write(hex);
        w.Write('\n');
        hex.Clear();
    }

    private static void WriteNumber(TextWriter w, string name, ulong value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        w.Write(name);
        w.Write('=');
        w.Write(digits[..written]);
        w.Write('\n');
    }

    private static void WritePrefix(TextWriter w, IPNetwork prefix)
    {
        Span<char> text = stackalloc char[64];
        prefix.TryFormat(text, out var written);
        w.Write("allowed_ip=");
        w.Write(text[..written]);
        w.Write('\n');
    }
}
