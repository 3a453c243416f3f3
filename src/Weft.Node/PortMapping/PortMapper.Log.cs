using System.Net;
using Microsoft.Extensions.Logging;

namespace Weft.Node.PortMapping;

public sealed partial class PortMapper
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping via {Protocol}: {External} -> local port {InternalPort} for {LifetimeSeconds} s")]
        public static partial void Mapped(ILogger logger, PortMappingProtocol protocol, IPEndPoint external, ushort internalPort, double lifetimeSeconds);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: {Protocol} refused with result code {ResultCode}")]
        public static partial void Refused(ILogger logger, PortMappingProtocol protocol, ushort resultCode);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: no {Protocol} answer from {Gateway}")]
        public static partial void NoAnswer(ILogger logger, PortMappingProtocol protocol, IPEndPoint gateway);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: ignored a datagram from {From}, not the gateway")]
        public static partial void ForeignSource(ILogger logger, IPEndPoint from);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: ignored a PCP answer from {From} with a wrong nonce")]
        public static partial void WrongNonce(ILogger logger, IPEndPoint from);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Port mapping: renewal failed ({Reason})")]
        public static partial void RenewalError(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: the gateway restarted (epoch {Previous} -> {Current}); mapping re-created")]
        public static partial void GatewayRestarted(ILogger logger, uint previous, uint current);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: UPnP gave no mapping ({Reason})")]
        public static partial void UpnpFailed(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: UPnP error {Code}; trying external port {Port} with lease {LeaseSeconds} s")]
        public static partial void UpnpRetry(ILogger logger, int code, ushort port, uint leaseSeconds);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: deleting {External} failed ({Reason})")]
        public static partial void DeleteFailed(ILogger logger, IPEndPoint external, string reason);
    }
}
