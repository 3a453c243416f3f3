using Microsoft.Extensions.Logging;

namespace Weft.WireGuard.Tun;

public sealed partial class LinuxTun
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "TUN {Name} created with MTU {Mtu}, offloads {Offloads}")]
        public static partial void Created(ILogger logger, string name, int mtu, TunOffloads offloads);

        [LoggerMessage(2, LogLevel.Debug, "TUN {Name}: kernel refused offloads {Offloads} (errno {Errno}), trying fewer")]
        public static partial void OffloadRefused(ILogger logger, string name, TunOffloads offloads, int errno);

        [LoggerMessage(3, LogLevel.Information, "TUN {Name} was deleted; reads now return 0")]
        public static partial void Deleted(ILogger logger, string name);

        [LoggerMessage(4, LogLevel.Debug, "TUN {Name}: write of {Length} bytes failed (errno {Errno})")]
        public static partial void WriteFailed(ILogger logger, string name, int length, int errno);
    }
}
