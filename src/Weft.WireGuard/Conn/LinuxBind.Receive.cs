using System.Runtime.InteropServices;
using Weft.WireGuard.Interop;

namespace Weft.WireGuard.Conn;

public sealed partial class LinuxBind
{
    public unsafe int Receive(Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints)
    {
        var slots = Math.Min(Math.Min(buffers.Length, sizes.Length), Math.Min(endpoints.Length, BindConstants.BatchSize));
        if (slots == 0)
        {
            return 0;
        }
        var batch = _receiveBatches.Rent();
        if (batch is null)
        {
            return 0;
        }
        try
        {
            while (true)
            {
                var socket = _socket;
                if (socket is null)
                {
                    return 0;
                }
                // With GRO one message may hold up to 64 datagrams, so the kernel fills only the last
                // slots/64 buffers and the split copies segments forward into the earlier ones; that way
                // no segment needs a slot still holding an unsplit message.
                var gro = _gro;
                var readCount = gro ? Math.Max(1, slots / BindConstants.MaxOffloadSegments) : slots;
                var readAt = slots - readCount;
                var received = ReceiveMessages(socket, batch, buffers.Slice(readAt, readCount), out var errno);
                if (!ReferenceEquals(socket, _socket))
                {
                    return 0;
                }
                if (received < 0)
                {
                    if (errno != LibcNet.EINTR && errno != LibcNet.EAGAIN)
                    {
                        // ICMP errors, ENOBUFS and the like concern one datagram, not the socket: count and go on.
                        Interlocked.Increment(ref _receiveErrors);
                        Log.ReceiveFailed(_logger, _port, errno);
                    }
                    continue;
                }
                var count = gro
                    ? Split(batch, received, buffers[..slots], readAt, sizes, endpoints)
                    : Collect(batch, received, buffers, sizes, endpoints);
                if (count > 0)
                {
                    Interlocked.Add(ref _datagramsReceived, count);
                    return count;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed between reading _socket and the call taking its reference.
            return 0;
        }
        finally
        {
            _receiveBatches.Return(batch);
        }
    }

    private static unsafe int ReceiveMessages(SafeUdpSocketHandle socket, MessageBatch batch, Span<byte[]> targets, out int errno)
    {
        var pins = batch.Pins;
        for (var i = 0; i < targets.Length; i++)
        {
            var buffer = targets[i];
            pins[i] = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            batch.Iovecs[i] = new Iovec { Base = pins[i].AddrOfPinnedObject(), Length = (nuint)buffer.Length };
            ref var header = ref batch.Messages[i].Header;
            header.Name = (nint)batch.Name(i);
            header.NameLength = LibcNet.SockaddrIn6Size;
            header.Iov = (nint)(batch.Iovecs + i);
            header.IovLength = 1;
            header.Control = (nint)batch.Control(i);
            header.ControlLength = BindConstants.ReceiveControlSize;
            header.Flags = 0;
            batch.Messages[i].Length = 0;
        }
        try
        {
            var received = LibcNet.recvmmsg(socket, batch.Messages, (uint)targets.Length, LibcNet.MSG_WAITFORONE, null);
            errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
            return received;
        }
        finally
        {
            for (var i = 0; i < targets.Length; i++)
            {
                pins[i].Free();
            }
        }
    }

    // Without GRO every message is one datagram already in its caller buffer.
    private unsafe int Collect(MessageBatch batch, int received, Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints)
    {
        var count = 0;
        for (var i = 0; i < received; i++)
        {
            ref var message = ref batch.Messages[i];
            if (!Readable(ref message, batch.Name(i), out var source))
            {
                continue;
            }
            var length = (int)message.Length;
            if (count != i)
            {
                // An unreadable message before this one left a gap: close it (rare, so a copy is fine).
                buffers[i].AsSpan(0, length).CopyTo(buffers[count]);
            }
            sizes[count] = length;
            endpoints[count] = source;
            count++;
        }
        return count;
    }

    private unsafe int Split(MessageBatch batch, int received, Span<byte[]> buffers, int readAt, Span<int> sizes, Span<UdpEndpoint> endpoints)
    {
        var next = 0;
        for (var i = 0; i < received; i++)
        {
            ref var message = ref batch.Messages[i];
            if (!Readable(ref message, batch.Name(i), out var source))
            {
                continue;
            }
            var slot = readAt + i;
            var length = (int)message.Length;
            var segment = SegmentSize(ref message.Header);
            if (segment <= 0 || segment >= length)
            {
                segment = Math.Max(length, 1);
            }
            var data = buffers[slot];
            for (var offset = 0; offset < length || (length == 0 && offset == 0); offset += segment)
            {
                // Slots after this message's own still hold unsplit messages; writing past it would destroy one.
                if (next > slot)
                {
                    Interlocked.Add(ref _segmentsDropped, Math.Max(1, (length - offset + segment - 1) / segment));
                    break;
                }
                var size = Math.Min(segment, length - offset);
                if (size > buffers[next].Length)
                {
                    // A caller buffer shorter than the one the kernel filled: this segment cannot be handed over.
                    Interlocked.Increment(ref _segmentsDropped);
                    continue;
                }
                // Copying within the message's own buffer (next == slot) overlaps; Span.CopyTo handles that.
                data.AsSpan(offset, size).CopyTo(buffers[next]);
                sizes[next] = size;
                endpoints[next] = source;
                next++;
                if (length == 0)
                {
                    break;
                }
            }
        }
        return next;
    }

    private unsafe bool Readable(ref MMsgHdr message, byte* name, out UdpEndpoint source)
    {
        const int MsgTrunc = 0x20;
        if ((message.Header.Flags & MsgTrunc) != 0
            || !SocketAddressCodec.TryRead(new ReadOnlySpan<byte>(name, (int)Math.Min(message.Header.NameLength, (uint)LibcNet.SockaddrIn6Size)), out source))
        {
            source = default;
            Interlocked.Increment(ref _receiveErrors);
            return false;
        }
        return true;
    }

    // The UDP_GRO control message carries the size of each coalesced segment (the last may be shorter).
    private static unsafe int SegmentSize(ref MsgHdr header)
    {
        var control = (byte*)header.Control;
        var end = (int)header.ControlLength;
        var offset = 0;
        while (offset + LibcNet.CmsgHeaderSize <= end)
        {
            var cmsg = (CMsgHdr*)(control + offset);
            var length = (int)cmsg->Length;
            if (length < LibcNet.CmsgHeaderSize || offset + length > end)
            {
                break;
            }
            if (cmsg->Level == LibcNet.SOL_UDP && cmsg->Type == LibcNet.UDP_GRO && length >= LibcNet.CmsgHeaderSize + sizeof(int))
            {
                return *(int*)(control + offset + LibcNet.CmsgHeaderSize);
            }
            offset += LibcNet.CmsgAlign(length);
        }
        return 0;
    }
}
