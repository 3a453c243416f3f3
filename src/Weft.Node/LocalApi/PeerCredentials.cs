using System.Buffers.Binary;
using System.Net.Sockets;

namespace Weft.Node.LocalApi;

/// <summary>
/// Who is on the other end of a Unix socket, as the kernel recorded it at connect time (SO_PEERCRED):
/// unforgeable by the client, unlike anything it could send in a request.
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    // From socket(7) and asm-generic/socket.h: SOL_SOCKET level, SO_PEERCRED option, struct ucred { pid_t; uid_t; gid_t; }.
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int UcredLength = 12;

    /// <summary>Reads the peer's credentials; null when the socket is not a connected Unix socket.</summary>
    public static PeerCredentials? Read(Socket? socket)
    {
        if (socket is null || socket.AddressFamily != AddressFamily.Unix)
        {
            return null;
        }
        Span<byte> ucred = stackalloc byte[UcredLength];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != UcredLength)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }
}
