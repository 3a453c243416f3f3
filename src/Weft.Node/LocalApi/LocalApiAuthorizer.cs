namespace Weft.Node.LocalApi;

/// <summary>
/// Decides which local users may use the daemon: root, the user the daemon runs as, and the operator
/// (set with --operator or the operatorUser pref). Everyone else gets 403, whatever they send.
/// </summary>
public sealed class LocalApiAuthorizer
{
    private readonly uint _daemonUid;
    private volatile StrongBox<uint>? _operatorUid;

    public LocalApiAuthorizer(uint daemonUid, uint? operatorUid = null)
    {
        _daemonUid = daemonUid;
        _operatorUid = operatorUid is { } uid ? new StrongBox<uint>(uid) : null;
    }

    /// <summary>Changes (or with null removes) the operator.</summary>
    public void SetOperator(uint? uid) => _operatorUid = uid is { } value ? new StrongBox<uint>(value) : null;

    /// <summary>True when a caller with these credentials may use the local API.</summary>
    public bool IsAllowed(PeerCredentials? caller) =>
        caller is { } c && (c.Uid == 0 || c.Uid == _daemonUid || _operatorUid?.Value == c.Uid);

    /// <summary>A user's uid from /etc/passwd (a number is taken as a uid); null when there is no such user.</summary>
    public static uint? LookupUid(string user, string passwdPath = "/etc/passwd")
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        if (uint.TryParse(user, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var numeric))
        {
            return numeric;
        }
        if (!File.Exists(passwdPath))
        {
            return null;
        }
        foreach (var line in File.ReadLines(passwdPath))
        {
            // name:password:uid:gid:gecos:home:shell
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == user && uint.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid))
            {
                return uid;
            }
        }
        return null;
    }

    /// <summary>A reference box so the operator uid can be swapped atomically.</summary>
    private sealed class StrongBox<T>(T value)
    {
        public T Value { get; } = value;
    }
}
