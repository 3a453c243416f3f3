using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Weft.Node.Dns;

/// <summary>
/// Points the OS resolver at MagicDNS by rewriting resolv.conf, and puts the original back. The original
/// is kept next to the file (<c>resolv.conf.weft-backup</c>) before the first change, so a daemon killed
/// with -9 leaves what is needed to undo it: the next <see cref="Apply"/> keeps that backup as the
/// original, and <see cref="Restore"/> (call it at start when DNS is not wanted) puts it back.
/// </summary>
public sealed partial class ResolverConfig
{
    /// <summary>The marker our file starts with: tells a human who wrote it, and tells us whether it is still ours.</summary>
    internal const string Marker = "# Written by weft (MagicDNS)";

    private const string Header = Marker + "; the original is saved as {0} and comes back on `weft down` or exit.";

    private readonly string _path;
    private readonly string _backupPath;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    public ResolverConfig(string resolvConfPath, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(resolvConfPath);
        ArgumentNullException.ThrowIfNull(logger);
        _path = resolvConfPath;
        _backupPath = resolvConfPath + ".weft-backup";
        _logger = logger;
    }

    /// <summary>The default path of the OS resolver's configuration.</summary>
    public const string DefaultPath = "/etc/resolv.conf";

    /// <summary>Where the original is kept while ours is in place.</summary>
    public string BackupPath => _backupPath;

    /// <summary>
    /// Writes <c>nameserver</c> and <c>search</c> lines for MagicDNS, backing up the original first.
    /// Leaves the file alone (and says why in the log) when the host's DNS is managed in a way not supported yet.
    /// </summary>
    public void Apply(IPAddress nameserver, IReadOnlyList<string> searchDomains)
    {
        ArgumentNullException.ThrowIfNull(nameserver);
        ArgumentNullException.ThrowIfNull(searchDomains);
        lock (_gate)
        {
            if (ManagedBySystemdResolved(out var target))
            {
                Log.SystemdResolvedNotSupported(_logger, _path, target);
                return;
            }
            if (File.Exists(_backupPath) && IsOurs())
            {
                // A backup already here means our file is in place (applied before, maybe by a run that
                // crashed): the backup still holds the true original, so it must not be overwritten.
                Log.KeepingBackup(_logger, _backupPath);
            }
            else
            {
                var original = File.Exists(_path) ? File.ReadAllBytes(_path) : [];
                WriteNew(_backupPath, original);
            }

            var text = new StringBuilder();
            text.AppendLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, Header, Path.GetFileName(_backupPath)));
            text.Append("nameserver ").AppendLine(nameserver.ToString());
            var search = new List<string>();
            foreach (var domain in searchDomains)
            {
                var canonical = DnsName.Canonical(domain);
                // One bad entry must not let a newline or option sneak into the file.
                if (canonical.Length > 0 && DnsName.Encode(canonical) is not null && !search.Contains(canonical))
                {
                    search.Add(canonical);
                }
            }
            if (search.Count > 0)
            {
                text.Append("search ").AppendLine(string.Join(' ', search));
            }
            Replace(Encoding.ASCII.GetBytes(text.ToString()));
            Log.Applied(_logger, _path, nameserver.ToString(), search.Count);
        }
    }

    /// <summary>
    /// Puts the original back if a backup exists (ours, or one left by a crashed run), unless something else
    /// rewrote the file since we did: then that newer version stays and the backup is discarded. Idempotent.
    /// </summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (!File.Exists(_backupPath))
            {
                return;
            }
            if (IsOurs())
            {
                Replace(File.ReadAllBytes(_backupPath));
                Log.Restored(_logger, _path);
            }
            else
            {
                // Someone (a DHCP client, an admin) wrote the file after us: theirs is newer than our backup.
                Log.ChangedByOthers(_logger, _path);
            }
            File.Delete(_backupPath);
        }
    }

    /// <summary>Whether the file still holds what we wrote.</summary>
    private bool IsOurs()
    {
        if (!File.Exists(_path))
        {
            return false;
        }
        using var reader = new StreamReader(_path, Encoding.ASCII);
        return reader.ReadLine()?.StartsWith(Marker, StringComparison.Ordinal) == true;
    }

    /// <summary>
    /// systemd-resolved owns resolv.conf when it is a symlink to its stub or its generated file; rewriting
    /// it would be undone behind our back and would break per-link DNS, so we say so instead.
    /// </summary>
    private bool ManagedBySystemdResolved(out string target)
    {
        target = "";
        var info = new FileInfo(_path);
        if (info.LinkTarget is not { } link)
        {
            return false;
        }
        target = link;
        return link.Contains("systemd/resolve", StringComparison.Ordinal) || link.EndsWith("stub-resolv.conf", StringComparison.Ordinal);
    }

    /// <summary>
    /// Replaces the file's content. Renaming a temporary file over it is atomic, but fails when the path is a
    /// mount point, as under <c>ip netns exec</c> (which bind-mounts /etc/netns/NAME/resolv.conf there) or in
    /// containers: then it is truncated and written in place. A symlink is written through, not replaced.
    /// </summary>
    private void Replace(byte[] content)
    {
        var info = new FileInfo(_path);
        if (info.LinkTarget is null)
        {
            var temporary = _path + ".weft-new";
            try
            {
                WriteNew(temporary, content);
                File.Move(temporary, _path, overwrite: true);
                return;
            }
            catch (IOException e)
            {
                Log.WritingInPlace(_logger, _path, e.Message);
                TryDelete(temporary);
            }
            catch (UnauthorizedAccessException e)
            {
                Log.WritingInPlace(_logger, _path, e.Message);
                TryDelete(temporary);
            }
        }
        using var stream = new FileStream(_path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        stream.SetLength(0);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    private static void WriteNew(string path, byte[] content)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
        };
        if (!OperatingSystem.IsWindows())
        {
            // resolv.conf is world-readable: every process resolves names through it.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }
        using var stream = new FileStream(path, options);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a stray temporary file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
