using Weft.Core.Crypto;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// Builds a <see cref="UapiSetRequest"/> one line at a time, keeping the first error (with its line number)
/// and swallowing the lines after it so a connection stays in step with the client until the blank line.
/// </summary>
internal sealed class UapiSetBuilder
{
    private readonly UapiSetRequest _request = new();
    private UapiPeerChange? _peer;
    private bool _peerRemoved;
    private int _line;
    private UapiErrno _errno;
    private string? _error;

    /// <summary>The first error so far, or <see cref="UapiErrno.None"/>.</summary>
    public UapiErrno Errno => _errno;

    /// <summary>Takes one line without its newline; the blank line that ends a request is not fed.</summary>
    public void Feed(ReadOnlySpan<char> line)
    {
        _line++;
        if (_errno != UapiErrno.None)
        {
            return;
        }
        var equals = line.IndexOf('=');
        if (equals < 0)
        {
            // Not quoted: a line without '=' may be a key pasted on its own.
            Fail(UapiErrno.Protocol, $"expected key=value, got a line of {line.Length} characters without '='");
            return;
        }
        var key = line[..equals];
        var value = line[(equals + 1)..];
        if (key.SequenceEqual("public_key"))
        {
            StartPeer(value);
        }
        else if (_peer is null)
        {
            DeviceLine(key, value);
        }
        else
        {
            PeerLine(_peer, key, value);
        }
    }

    /// <summary>The finished request, or the first error and a message saying what and on which line.</summary>
    public UapiErrno Finish(out UapiSetRequest? request, out string? error)
    {
        error = _error;
        if (_errno != UapiErrno.None)
        {
            _request.ClearSecrets();
            request = null;
            return _errno;
        }
        request = _request;
        return UapiErrno.None;
    }

    private void StartPeer(ReadOnlySpan<char> value)
    {
        if (!Key32.TryParseHex(value, out var publicKey))
        {
            Fail(UapiErrno.Invalid, "public_key is not 64 hex digits");
            return;
        }
        if (_request.Peers.Count >= Constants.MaxPeers)
        {
            Fail(UapiErrno.Invalid, $"more than {Constants.MaxPeers} peers");
            return;
        }
        _peer = new UapiPeerChange { PublicKey = publicKey };
        _peerRemoved = false;
        _request.Peers.Add(_peer);
    }

    private void DeviceLine(ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        ulong number;
        switch (key)
        {
            case "private_key":
                // All zeroes is allowed: it removes the key. The value is a secret, so it is never quoted.
                if (!Key32.TryParseHex(value, out var privateKey))
                {
                    Fail(UapiErrno.Invalid, "private_key is not 64 hex digits");
                    return;
                }
                _request.PrivateKey = privateKey;
                return;
            case "listen_port":
                if (!UapiValues.TryParseUnsigned(value, ushort.MaxValue, out number))
                {
                    Fail(UapiErrno.Invalid, $"listen_port '{Quote(value)}' is not a port number");
                    return;
                }
                _request.ListenPort = (ushort)number;
                return;
            case "fwmark":
                if (!UapiValues.TryParseUnsigned(value, uint.MaxValue, out number))
                {
                    Fail(UapiErrno.Invalid, $"fwmark '{Quote(value)}' is not a 32-bit number");
                    return;
                }
                _request.FwMark = (uint)number;
                return;
            case "replace_peers":
                if (!value.SequenceEqual("true"))
                {
                    Fail(UapiErrno.Invalid, $"replace_peers must be 'true', not '{Quote(value)}'");
                    return;
                }
                _request.ReplacePeers = true;
                return;
            default:
                Fail(UapiErrno.Invalid, $"'{Quote(key)}' is not a device key (peer keys come after public_key)");
                return;
        }
    }

    private void PeerLine(UapiPeerChange peer, ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        switch (key)
        {
            case "remove":
                if (!IsTrue("remove", value))
                {
                    return;
                }
                // wireguard-go removes the peer at once and ignores the rest of its section.
                var removed = new UapiPeerChange { PublicKey = peer.PublicKey, Remove = true };
                _request.Peers[^1] = removed;
                _peer = removed;
                _peerRemoved = true;
                return;
            case "update_only":
                if (IsTrue("update_only", value) && !_peerRemoved)
                {
                    peer.UpdateOnly = true;
                }
                return;
            case "preshared_key":
                if (!Key32.TryParseHex(value, out var presharedKey))
                {
                    Fail(UapiErrno.Invalid, "preshared_key is not 64 hex digits");
                    return;
                }
                if (!_peerRemoved)
                {
                    peer.PresharedKey = presharedKey;
                }
                return;
            case "endpoint":
                if (!UapiValues.TryParseEndpoint(value, out var endpoint))
                {
                    Fail(UapiErrno.Invalid, $"endpoint '{Quote(value)}' is not a.b.c.d:port or [v6]:port");
                    return;
                }
                if (!_peerRemoved)
                {
                    peer.Endpoint = endpoint;
                }
                return;
            case "persistent_keepalive_interval":
                if (!UapiValues.TryParseUnsigned(value, ushort.MaxValue, out var interval))
                {
                    Fail(UapiErrno.Invalid, $"persistent_keepalive_interval '{Quote(value)}' is not a number of seconds up to 65535");
                    return;
                }
                if (!_peerRemoved)
                {
                    peer.PersistentKeepaliveInterval = (ushort)interval;
                }
                return;
            case "replace_allowed_ips":
                if (IsTrue("replace_allowed_ips", value) && !_peerRemoved)
                {
                    // Allowed IPs listed before this line are replaced too, as line-by-line application would do.
                    peer.ReplaceAllowedIps = true;
                    peer.AllowedIps.Clear();
                }
                return;
            case "allowed_ip":
                if (!UapiValues.TryParsePrefix(value, out var prefix))
                {
                    Fail(UapiErrno.Invalid, $"allowed_ip '{Quote(value)}' is not address/length");
                    return;
                }
                if (!_peerRemoved)
                {
                    peer.AllowedIps.Add(prefix);
                }
                return;
            case "protocol_version":
                if (!value.SequenceEqual(UapiConstants.ProtocolVersion))
                {
                    Fail(UapiErrno.Invalid, $"protocol_version '{Quote(value)}' is not supported (only 1)");
                }
                return;
            default:
                Fail(UapiErrno.Invalid, $"'{Quote(key)}' is not a peer key");
                return;
        }
    }

    private bool IsTrue(string key, ReadOnlySpan<char> value)
    {
        if (value.SequenceEqual("true"))
        {
            return true;
        }
        Fail(UapiErrno.Invalid, $"{key} must be 'true', not '{Quote(value)}'");
        return false;
    }

    private void Fail(UapiErrno errno, string what)
    {
        _errno = errno;
        _error = $"line {_line + 1} of set request: {what}";
    }

    /// <summary>Client text for a message: bounded in length and with control characters replaced.</summary>
    internal static string Quote(ReadOnlySpan<char> text)
    {
        var length = Math.Min(text.Length, UapiConstants.MaxQuotedLength);
        Span<char> safe = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            safe[i] = text[i] is >= ' ' and <= '~' ? text[i] : '?';
        }
        return text.Length > length ? string.Concat(safe, "...") : new string(safe);
    }
}
