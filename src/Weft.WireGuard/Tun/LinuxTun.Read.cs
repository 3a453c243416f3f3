using System.Runtime.InteropServices;
using Weft.WireGuard.Interop;
using Weft.WireGuard.Tun.Offload;

namespace Weft.WireGuard.Tun;

public sealed partial class LinuxTun
{
    /// <summary>
    /// Blocks until the kernel hands over a packet, then returns it, or the segments of a superpacket, in
    /// <c>buffers[i][offset..offset+sizes[i]]</c>. Returns 0 once disposed or deleted. Malformed input is
    /// dropped, counted in <see cref="Counters"/>, and the read goes on.
    /// </summary>
    public int Read(Span<byte[]> buffers, Span<int> sizes, int offset)
    {
        if (buffers.IsEmpty || sizes.Length < buffers.Length)
        {
            throw new ArgumentException("need at least one buffer and one size per buffer", nameof(buffers));
        }
        try
        {
            var count = ReadCore(buffers, sizes, offset, nonBlocking: false);
            // Drain what else is queued without blocking, so a burst of small packets becomes one batch
            // (one sendmmsg downstream) while there is room for a whole superpacket's segments.
            var room = SegmentsPerSuperpacket();
            while (count > 0 && buffers.Length - count >= room)
            {
                var more = ReadCore(buffers[count..], sizes[count..], offset, nonBlocking: true);
                if (more <= 0)
                {
                    break;
                }
                count += more;
            }
            return count;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>Most segments one read can produce: a 64 KiB superpacket cut at the current MTU.</summary>
    private int SegmentsPerSuperpacket()
    {
        var mtu = Math.Max(Volatile.Read(ref _lastMtu), TunConstants.MinMtu);
        return Constants.MaxSegmentSize / Math.Max(mtu - 80, 64) + 2;
    }

    /// <summary>
    /// Reads one packet or superpacket. Blocking: waits for it; returns 0 once disposed or deleted.
    /// Non-blocking: returns -1 when nothing is queued right now (or on any error, which the next
    /// blocking read reports).
    /// </summary>
    private unsafe int ReadCore(Span<byte[]> buffers, Span<int> sizes, int offset, bool nonBlocking)
    {
        var pollSawError = false;
        while (!_disposed && !IsDeleted)
        {
            // With the virtio_net_hdr on, the header lands in the headroom before the offset so a plain
            // packet needs no copy; a superpacket is split from there in place.
            byte[] target;
            int start;
            if (!_vnetHdr)
            {
                target = buffers[0];
                start = offset;
            }
            else if (offset >= VirtioNetHeader.Size)
            {
                target = buffers[0];
                start = offset - VirtioNetHeader.Size;
            }
            else
            {
                target = _readScratch;
                start = 0;
            }
            var room = Math.Min(target.Length - start, (_vnetHdr ? VirtioNetHeader.Size : 0) + Constants.MaxSegmentSize);
            nint n;
            fixed (byte* p = &target[start])
            {
                n = TunLibc.read(_fd, p, room);
            }
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == TunLibc.EINTR)
                {
                    continue;
                }
                if (nonBlocking)
                {
                    return -1;
                }
                if (errno == TunLibc.EAGAIN && !pollSawError)
                {
                    pollSawError = !WaitReadable();
                    continue;
                }
                if (errno is TunLibc.EAGAIN or TunLibc.EBADFD or TunLibc.EIO or TunLibc.EBADF)
                {
                    // The kernel detached the fd: the interface is gone (ip link del, or its namespace died).
                    OnDeleted();
                    return 0;
                }
                throw Error("read", Name, errno);
            }
            if (n == 0)
            {
                if (nonBlocking)
                {
                    return -1;
                }
                OnDeleted();
                return 0;
            }
            if (!_vnetHdr)
            {
                sizes[0] = (int)n;
                return 1;
            }
            if (n <= VirtioNetHeader.Size)
            {
                Counters.OnMalformed();
                continue;
            }
            var header = VirtioNetHeader.Decode(target.AsSpan(start, VirtioNetHeader.Size));
            var packet = target.AsSpan(start + VirtioNetHeader.Size, (int)n - VirtioNetHeader.Size);
            var count = GsoSegmenter.Split(packet, header, buffers, sizes, offset);
            if (count < 0)
            {
                Counters.OnMalformed();
                continue;
            }
            if (header.GsoType != VirtioNetHeader.GsoNone)
            {
                Counters.OnSplit(count);
            }
            return count;
        }
        return 0;
    }

    /// <summary>
    /// Waits in poll(2) for the TUN fd or the wake-up eventfd. Returns false when poll reported an error
    /// on the TUN fd (detached); true when there may be something to read or the device was disposed.
    /// </summary>
    private unsafe bool WaitReadable()
    {
        var fdRef = false;
        var wakeRef = false;
        try
        {
            _fd.DangerousAddRef(ref fdRef);
            _wake.DangerousAddRef(ref wakeRef);
            var fds = stackalloc TunLibc.PollFd[2];
            fds[0] = new TunLibc.PollFd { Fd = _fd.Fd, Events = TunLibc.POLLIN };
            fds[1] = new TunLibc.PollFd { Fd = _wake.Fd, Events = TunLibc.POLLIN };
            while (true)
            {
                var ready = TunLibc.poll(fds, 2, -1);
                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == TunLibc.EINTR)
                    {
                        continue;
                    }
                    throw Error("poll", Name, errno);
                }
                if (fds[1].Revents != 0)
                {
                    return true;
                }
                return (fds[0].Revents & (TunLibc.POLLERR | TunLibc.POLLHUP | TunLibc.POLLNVAL)) == 0;
            }
        }
        finally
        {
            if (wakeRef)
            {
                _wake.DangerousRelease();
            }
            if (fdRef)
            {
                _fd.DangerousRelease();
            }
        }
    }
}
