namespace Weft.Control.Hosting;

/// <summary>Writes secrets (server key, first API key) readable by the owner only: mode 0600 from creation, never widened.</summary>
internal static class SecretFile
{
    public static void Write(string path, string text, bool createNew)
    {
        var options = new FileStreamOptions { Mode = createNew ? FileMode.CreateNew : FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(text);
        writer.Write('\n');
    }
}
