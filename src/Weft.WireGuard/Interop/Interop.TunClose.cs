using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>close(2): releases a descriptor; only SafeTunFileHandle calls it.</summary>
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(nint fd);
}
