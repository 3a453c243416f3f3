using System.Net;
using Microsoft.Extensions.Logging;

namespace Weft.Node.PortMapping;

internal sealed partial class UpnpClient
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP: found {ServiceType} at {ControlUrl}")]
        public static partial void Found(ILogger logger, string serviceType, Uri controlUrl);

        [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP: no gateway answered SSDP at {Target}")]
        public static partial void NoDevice(ILogger logger, IPEndPoint target);

        [LoggerMessage(Level = LogLevel.Warning, Message = "UPnP: ignored an SSDP answer from {From} pointing to {Location} (not the answering LAN device)")]
        public static partial void Refused(ILogger logger, IPEndPoint from, Uri location);
    }
}
