using System.Runtime.InteropServices;

namespace Weft.Node.Interop;

internal static partial class Libc
{
    /// <summary>getuid(2): the real user id of this process; never fails.</summary>
    [LibraryImport("libc")]
    internal static partial uint getuid();
}
