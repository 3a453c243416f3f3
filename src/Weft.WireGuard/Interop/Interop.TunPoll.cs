using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class TunLibc
{
    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>poll(2): waits for the TUN fd or the wake-up eventfd; the caller keeps both handles referenced.</summary>
    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}
