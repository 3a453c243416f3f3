using System.Runtime.InteropServices;

namespace Weft.Interop;

internal static partial class Libc
{
    /// <summary>dup2(2): makes <paramref name="newfd"/> a copy of <paramref name="oldfd"/>, closing what it was.</summary>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int dup2(int oldfd, int newfd);
}
