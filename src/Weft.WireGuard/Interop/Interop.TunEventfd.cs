using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>eventfd(2): the descriptor Dispose writes to so a reader blocked in poll wakes up.</summary>
    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial SafeTunFileHandle eventfd(uint initial, int flags);
}
