using System.Runtime.InteropServices;
using Weft.WireGuard.Interop;

namespace Weft.WireGuard.Conn;

public sealed partial class LinuxBind
{
    public unsafe void Send(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, in UdpEndpoint endpoint)
    {
        var total = Math.Min(buffers.Length, sizes.Length);
        if (total == 0)
        {
            return;
        }
        var socket = _socket;
        var batch = socket is null ? null : _sendBatches.Rent();
        if (batch is null)
        {
            Interlocked.Add(ref _sendErrors, total);
            return;
        }
        try
        {
            var nameLength = SocketAddressCodec.Write(new Span<byte>(batch.Names, LibcNet.SockaddrIn6Size), _family, endpoint);
            if (nameLength == 0)
            {
                // An IPv6 peer on a host whose socket is IPv4-only.
                Interlocked.Add(ref _sendErrors, total);
                return;
            }
            var maxPayload = endpoint.IsIPv4 ? BindConstants.MaxIPv4PayloadSize : BindConstants.MaxIPv6PayloadSize;
            var coalesce = _gso;
            var start = 0;
            while (start < total)
            {
                var messages = Stage(batch, buffers, sizes, start, total, nameLength, coalesce ? maxPayload : 0, out var next);
                var refused = Flush(socket!, batch, messages);
                if (refused < 0)
                {
                    start = next;
                    continue;
                }
                // The kernel refused a GSO message: resend from its first datagram without coalescing.
                start = batch.FirstDatagram[refused];
                coalesce = false;
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed while sending: the engine learns of closing through Receive, not here.
            Interlocked.Increment(ref _sendErrors);
        }
        finally
        {
            _sendBatches.Return(batch);
        }
    }

    /// <summary>
    /// Copies datagrams from <paramref name="start"/> into the arena as messages until the batch or the
    /// arena is full; with <paramref name="maxPayload"/> above 0, runs of equal size (the last may be
    /// shorter) become one message with a UDP_SEGMENT control message. Returns the message count.
    /// </summary>
    private static unsafe int Stage(MessageBatch batch, ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, int start, int total, int nameLength, int maxPayload, out int next)
    {
        var arena = new Span<byte>(batch.Arena, batch.ArenaSize);
        var used = 0;
        var messages = 0;
        var i = start;
        while (i < total && messages < batch.Capacity && sizes[i] <= arena.Length - used)
        {
            var first = i;
            var segment = sizes[i];
            var length = 0;
            var segments = 0;
            do
            {
                buffers[i].AsSpan(0, sizes[i]).CopyTo(arena[(used + length)..]);
                length += sizes[i];
                segments++;
                i++;
            }
            while (maxPayload > 0 && segment > 0 && i < total && sizes[i - 1] == segment && sizes[i] > 0 && sizes[i] <= segment
                && segments < BindConstants.MaxOffloadSegments && length + sizes[i] <= maxPayload && used + length + sizes[i] <= arena.Length);

            batch.FirstDatagram[messages] = first;
            batch.Iovecs[messages] = new Iovec { Base = (nint)(batch.Arena + used), Length = (nuint)length };
            ref var header = ref batch.Messages[messages].Header;
            header.Name = (nint)batch.Names;
            header.NameLength = (uint)nameLength;
            header.Iov = (nint)(batch.Iovecs + messages);
            header.IovLength = 1;
            header.Flags = 0;
            if (segments > 1)
            {
                var control = batch.Control(messages);
                var cmsg = (CMsgHdr*)control;
                cmsg->Length = (nuint)(LibcNet.CmsgHeaderSize + sizeof(ushort));
                cmsg->Level = LibcNet.SOL_UDP;
                cmsg->Type = LibcNet.UDP_SEGMENT;
                *(ushort*)(control + LibcNet.CmsgHeaderSize) = (ushort)segment;
                header.Control = (nint)control;
                header.ControlLength = (nuint)LibcNet.CmsgAlign(LibcNet.CmsgHeaderSize + sizeof(ushort));
            }
            else
            {
                header.Control = 0;
                header.ControlLength = 0;
            }
            used += length;
            messages++;
        }
        next = i;
        return messages;
    }

    /// <summary>
    /// Sends the staged messages, counting and skipping each one the kernel refuses. Returns -1 when done,
    /// or the index of a GSO message whose refusal means segmentation must be retried without.
    /// </summary>
    private unsafe int Flush(SafeUdpSocketHandle socket, MessageBatch batch, int messages)
    {
        var done = 0;
        while (done < messages)
        {
            var sent = LibcNet.sendmmsg(socket, batch.Messages + done, (uint)(messages - done), 0);
            if (sent > 0)
            {
                for (var i = done; i < done + sent; i++)
                {
                    Interlocked.Add(ref _datagramsSent, Datagrams(batch, i, messages));
                }
                if (!_gsoConfirmed && _gso)
                {
                    _gsoConfirmed = true;
                }
                done += sent;
                continue;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibcNet.EINTR)
            {
                continue;
            }
            var segmented = batch.Messages[done].Header.ControlLength != 0;
            if (segmented && (errno == LibcNet.EIO || (errno == LibcNet.EINVAL && !_gsoConfirmed)))
            {
                // EIO: the device cannot checksum segments; EINVAL before any GSO send worked: the kernel
                // rejects the cmsg. Either way segmentation is off for good on this socket.
                if (_gso)
                {
                    _gso = false;
                    Log.SegmentationDisabled(_logger, _port, errno);
                }
                return done;
            }
            if (segmented && errno == LibcNet.EINVAL)
            {
                // A segment larger than the path MTU: only this batch goes out unsegmented.
                return done;
            }
            // Unreachable or refused peers, full buffers: the datagrams are lost like any on UDP.
            Interlocked.Add(ref _sendErrors, Datagrams(batch, done, messages));
            done++;
        }
        return -1;
    }

    // Datagrams staged in message i: those from its first up to the next message's first.
    private static int Datagrams(MessageBatch batch, int i, int messages) =>
        i + 1 < messages ? batch.FirstDatagram[i + 1] - batch.FirstDatagram[i] : DatagramsInLast(batch, i);

    private static unsafe int DatagramsInLast(MessageBatch batch, int i)
    {
        ref var header = ref batch.Messages[i].Header;
        if (header.ControlLength == 0)
        {
            return 1;
        }
        var segment = *(ushort*)((byte*)header.Control + LibcNet.CmsgHeaderSize);
        var length = (int)batch.Iovecs[i].Length;
        return (length + segment - 1) / segment;
    }
}
