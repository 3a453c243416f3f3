using System.Runtime.InteropServices;

namespace Weft.Interop;

internal static partial class Libc
{
    /// <summary>setsid(2): leaves the caller's session so closing the terminal does not stop a daemon.</summary>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int setsid();
}
