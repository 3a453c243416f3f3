namespace Weft.WireGuard.Conn;

/// <summary>A copy of one datagram a <see cref="ChannelBind"/> was asked to send, and where to.</summary>
public readonly record struct SentDatagram(byte[] Datagram, UdpEndpoint Destination);
