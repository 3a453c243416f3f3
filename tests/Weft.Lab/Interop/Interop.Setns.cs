using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Weft.Lab.Interop;

internal static partial class Libc
{
    internal const int CLONE_NEWNET = 0x40000000;

    /// <summary>setns(2): moves the calling thread into the namespace the descriptor refers to.</summary>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int setns(SafeFileHandle fd, int nstype);
}
