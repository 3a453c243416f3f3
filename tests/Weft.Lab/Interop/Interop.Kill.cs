using System.Runtime.InteropServices;

namespace Weft.Lab.Interop;

internal static partial class Libc
{
    internal const int SIGTERM = 15;
    internal const int SIGKILL = 9;

    /// <summary>kill(2): sends a signal; .NET's Process only knows SIGKILL.</summary>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int kill(int pid, int sig);
}
