using System.Runtime.InteropServices;
using Weft.WireGuard.Interop;
using Weft.WireGuard.Tun.Offload;

namespace Weft.WireGuard.Tun;

public sealed partial class LinuxTun
{
    /// <summary>
    /// Writes the packets at <c>buffers[i][offset..offset+sizes[i]]</c>, coalescing TCP (and, with USO,
    /// UDP) bursts into superpackets first, so the buffers change. Packets the kernel refuses are dropped
    /// and counted in <see cref="OffloadCounters.WriteErrors"/>; writes after disposal are dropped silently.
    /// </summary>
    public void Write(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, int offset)
    {
        if (sizes.Length < buffers.Length)
        {
            throw new ArgumentException("need one size per buffer", nameof(sizes));
        }
        if (_disposed)
        {
            return;
        }
        try
        {
            if (!_vnetHdr)
            {
                for (var i = 0; i < buffers.Length; i++)
                {
                    WriteOne(buffers[i].AsSpan(offset, sizes[i]));
                }
                return;
            }
            foreach (var output in _coalescer.Coalesce(buffers, sizes, offset))
            {
                if (output.Header.GsoType != VirtioNetHeader.GsoNone)
                {
                    Counters.OnCoalesced(output.Segments);
                }
                var buffer = buffers[output.Buffer];
                Span<byte> frame;
                if (offset >= VirtioNetHeader.Size)
                {
                    // The header goes into the headroom: no copy of the packet.
                    frame = buffer.AsSpan(offset - VirtioNetHeader.Size, VirtioNetHeader.Size + output.Length);
                }
                else
                {
                    frame = _writeScratch.AsSpan(0, VirtioNetHeader.Size + output.Length);
                    buffer.AsSpan(offset, output.Length).CopyTo(frame[VirtioNetHeader.Size..]);
                }
                output.Header.Encode(frame);
                WriteOne(frame);
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while writing: the remaining packets go nowhere, as on a closed interface.
        }
    }

    private unsafe void WriteOne(ReadOnlySpan<byte> frame)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = frame)
            {
                n = TunLibc.write(_fd, p, frame.Length);
            }
            if (n >= 0)
            {
                return;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == TunLibc.EINTR)
            {
                continue;
            }
            Counters.OnWriteError();
            Log.WriteFailed(_logger, Name, frame.Length, errno);
            return;
        }
    }
}
