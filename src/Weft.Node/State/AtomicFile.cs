using System.Security.Cryptography;

namespace Weft.Node.State;

/// <summary>
/// Writes files so that a crash (kill -9, power loss) leaves either the old or the new content, never a
/// mix: write a temporary file created 0600, fsync it, then rename it over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Owner read and write only: state files hold private keys.</summary>
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner only: nobody else may even list the state directory.</summary>
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> atomically, mode 0600.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the node daemon keeps its state with Unix file modes");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.tmp");
        try
        {
            // Created 0600 from the start: a key must never sit in a world-readable file, not even briefly.
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = PrivateFile,
            }))
            {
                stream.Write(content);
                // fsync before the rename, or a crash could leave the new name pointing at empty blocks.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Creates <paramref name="path"/> (and parents) if needed and makes it 0700.</summary>
    public static void EnsurePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the node daemon keeps its state with Unix file modes");
        }
        Directory.CreateDirectory(path, PrivateDirectory);
        File.SetUnixFileMode(path, PrivateDirectory);
    }
}
