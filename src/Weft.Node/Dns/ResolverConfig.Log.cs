using Microsoft.Extensions.Logging;

namespace Weft.Node.Dns;

public sealed partial class ResolverConfig
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Path} now points at MagicDNS {Nameserver} with {SearchDomains} search domains")]
        public static partial void Applied(ILogger logger, string path, string nameserver, int searchDomains);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Path} restored from its backup")]
        public static partial void Restored(ILogger logger, string path);

        [LoggerMessage(Level = LogLevel.Information, Message = "Keeping the existing backup {Backup}: it holds the original resolver configuration")]
        public static partial void KeepingBackup(ILogger logger, string backup);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} is managed by systemd-resolved (link to {Target}); pointing the OS resolver at MagicDNS is not supported on such hosts yet, so it is left unchanged")]
        public static partial void SystemdResolvedNotSupported(ILogger logger, string path, string target);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Path} was rewritten by something else since weft changed it; leaving that version and discarding weft's backup")]
        public static partial void ChangedByOthers(ILogger logger, string path);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Cannot replace {Path} by rename ({Reason}); writing it in place (a bind mount?)")]
        public static partial void WritingInPlace(ILogger logger, string path, string reason);
    }
}
