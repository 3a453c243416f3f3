using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Weft.WireGuard.Tests.Tun;

internal static partial class TestLibc
{
    /// <summary>CLONE_NEWNET from linux/sched.h.</summary>
    internal const int CLONE_NEWNET = 0x40000000;

    /// <summary>setns(2): moves the calling thread (only) into the namespace the fd refers to.</summary>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int setns(SafeFileHandle fd, int nstype);

    /// <summary>geteuid(2): the tests that create interfaces need root.</summary>
    [LibraryImport("libc")]
    internal static partial uint geteuid();
}
