using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>socket(2): a new descriptor, or -1 with errno.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);
}
