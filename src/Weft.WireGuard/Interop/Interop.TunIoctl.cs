using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>ioctl(2) whose argument is a struct ifreq (TUNSETIFF, SIOCGIFMTU, SIOCSIFMTU).</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(SafeTunFileHandle fd, nuint request, ref IfReq ifr);

    /// <summary>ioctl(2) whose argument points at an int (TUNSETVNETHDRSZ).</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(SafeTunFileHandle fd, nuint request, ref int value);

    /// <summary>ioctl(2) whose argument is passed by value (TUNSETOFFLOAD).</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(SafeTunFileHandle fd, nuint request, nuint value);
}
