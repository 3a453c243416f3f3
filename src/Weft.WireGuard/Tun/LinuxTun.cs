using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.WireGuard.Interop;
using Weft.WireGuard.Tun.Offload;

namespace Weft.WireGuard.Tun;

/// <summary>
/// A Linux TUN interface with the kernel's offloads: reads split TSO/USO superpackets into MTU-sized
/// packets, writes coalesce TCP (and UDP) bursts back into superpackets. Like wireguard-go it sets the
/// MTU but leaves the link down; bringing it up is the administrator's job. One thread reads and one
/// writes; <see cref="Dispose"/> wakes a blocked reader. Deleting the interface (<c>ip link del</c>)
/// makes the kernel detach the fd: poll reports an error and read fails with EBADFD, which Read turns
/// into a return of 0 and a <see cref="Deleted"/> event, so no rtnetlink watcher is needed.
/// </summary>
public sealed partial class LinuxTun : ITun
{
    private readonly SafeTunFileHandle _fd;
    private readonly SafeTunFileHandle _wake;
    private readonly SafeTunFileHandle _control;
    private readonly ILogger _logger;
    private readonly bool _vnetHdr;

    // Owned by the reader thread.
    private readonly byte[] _readScratch;

    // Owned by the writer thread.
    private readonly byte[] _writeScratch;
    private readonly GroCoalescer _coalescer;

    private int _lastMtu;
    private int _deleted;
    private volatile bool _disposed;

    private LinuxTun(SafeTunFileHandle fd, SafeTunFileHandle wake, SafeTunFileHandle control, string name, TunOffloads offloads, ILogger logger)
    {
        _fd = fd;
        _wake = wake;
        _control = control;
        _logger = logger;
        Name = name;
        Offloads = offloads;
        _vnetHdr = offloads != TunOffloads.None;
        _readScratch = new byte[VirtioNetHeader.Size + Constants.MaxSegmentSize];
        _writeScratch = new byte[VirtioNetHeader.Size + Constants.MaxSegmentSize];
        _coalescer = new GroCoalescer(udp: (offloads & TunOffloads.Uso) != 0, TunConstants.BatchSize);
    }

    /// <summary>Raised once, on the reading thread, when the interface is found deleted.</summary>
    public event Action? Deleted;

    /// <summary>The name the kernel gave the interface (a pattern such as <c>wg%d</c> is filled in).</summary>
    public string Name { get; }

    /// <summary>Which offloads the kernel accepted.</summary>
    public TunOffloads Offloads { get; }

    /// <summary>What the offload paths did and dropped.</summary>
    public OffloadCounters Counters { get; } = new();

    /// <summary>Whether the interface was deleted under us.</summary>
    public bool IsDeleted => Volatile.Read(ref _deleted) != 0;

    public int BatchSize => TunConstants.BatchSize;

    /// <summary>The interface's MTU as the kernel has it now (SIOCGIFMTU); the last known one once deleted.</summary>
    public int Mtu
    {
        get
        {
            if (!_disposed && !IsDeleted)
            {
                var ifr = NewIfReq(Name);
                try
                {
                    if (TunLibc.ioctl(_control, TunLibc.SIOCGIFMTU, ref ifr) == 0)
                    {
                        Volatile.Write(ref _lastMtu, ifr.Mtu);
                    }
                }
                catch (ObjectDisposedException)
                {
                    // Disposed concurrently: the last known MTU is the answer.
                }
            }
            return Volatile.Read(ref _lastMtu);
        }
    }

    /// <summary>
    /// Creates (or attaches to) the TUN interface <paramref name="name"/> in the calling thread's network
    /// namespace and sets its MTU. Offloads are negotiated from most to least: checksum+TSO+USO,
    /// checksum+TSO, then no virtio_net_hdr at all.
    /// </summary>
    /// <exception cref="ArgumentException">The name or MTU is invalid.</exception>
    /// <exception cref="IOException">The kernel refused to create the interface or set its MTU.</exception>
    public static LinuxTun Create(string name, int mtu, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) >= TunLibc.IFNAMSIZ || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"interface name '{name}' must be at most {TunLibc.IFNAMSIZ - 1} bytes without '/'", nameof(name));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, TunConstants.MinMtu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, TunConstants.MaxMtu);
        logger ??= NullLogger.Instance;

        var (fd, actualName, offloads) = Open(name, logger);
        SafeTunFileHandle? control = null;
        SafeTunFileHandle? wake = null;
        try
        {
            control = TunLibc.socket(TunLibc.AF_INET, TunLibc.SOCK_DGRAM | TunLibc.SOCK_CLOEXEC, 0);
            ThrowIfInvalid(control, "socket(AF_INET) for interface ioctls", actualName);
            var ifr = NewIfReq(actualName);
            ifr.Mtu = mtu;
            if (TunLibc.ioctl(control, TunLibc.SIOCSIFMTU, ref ifr) != 0)
            {
                throw Error($"SIOCSIFMTU {mtu}", actualName, Marshal.GetLastPInvokeError());
            }
            wake = TunLibc.eventfd(0, TunLibc.EFD_CLOEXEC | TunLibc.EFD_NONBLOCK);
            ThrowIfInvalid(wake, "eventfd", actualName);
            var tun = new LinuxTun(fd, wake, control, actualName, offloads, logger) { _lastMtu = mtu };
            Log.Created(logger, actualName, mtu, offloads);
            return tun;
        }
        catch
        {
            wake?.Dispose();
            control?.Dispose();
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Opens the clone device and negotiates the richest offload set the kernel takes.</summary>
    private static (SafeTunFileHandle Fd, string Name, TunOffloads Offloads) Open(string name, ILogger logger)
    {
        ReadOnlySpan<TunOffloads> attempts =
        [
            TunOffloads.Checksum | TunOffloads.Tso | TunOffloads.Uso,
            TunOffloads.Checksum | TunOffloads.Tso,
            TunOffloads.None,
        ];
        var lastErrno = 0;
        foreach (var offloads in attempts)
        {
            var fd = TunLibc.open(TunConstants.CloneDevicePath, TunLibc.O_RDWR | TunLibc.O_NONBLOCK | TunLibc.O_CLOEXEC);
            ThrowIfInvalid(fd, "open", name);
            var ifr = NewIfReq(name);
            ifr.Flags = (short)(TunLibc.IFF_TUN | TunLibc.IFF_NO_PI | (offloads == TunOffloads.None ? 0 : TunLibc.IFF_VNET_HDR));
            if (TunLibc.ioctl(fd, TunLibc.TUNSETIFF, ref ifr) != 0)
            {
                lastErrno = Marshal.GetLastPInvokeError();
                fd.Dispose();
                // Only an unknown flag (EINVAL) is worth retrying with fewer; EBUSY, EPERM and the like are final.
                if (lastErrno == TunLibc.EINVAL && offloads != TunOffloads.None)
                {
                    Log.OffloadRefused(logger, name, offloads, lastErrno);
                    continue;
                }
                throw Error("TUNSETIFF", name, lastErrno);
            }
            var actualName = ReadName(ifr);
            if (offloads == TunOffloads.None)
            {
                return (fd, actualName, offloads);
            }
            var headerSize = VirtioNetHeader.Size;
            var flags = TunLibc.TUN_F_CSUM | TunLibc.TUN_F_TSO4 | TunLibc.TUN_F_TSO6;
            if ((offloads & TunOffloads.Uso) != 0)
            {
                flags |= TunLibc.TUN_F_USO4 | TunLibc.TUN_F_USO6;
            }
            if (TunLibc.ioctl(fd, TunLibc.TUNSETVNETHDRSZ, ref headerSize) == 0
                && TunLibc.ioctl(fd, TunLibc.TUNSETOFFLOAD, (nuint)flags) == 0)
            {
                return (fd, actualName, offloads);
            }
            lastErrno = Marshal.GetLastPInvokeError();
            Log.OffloadRefused(logger, actualName, offloads, lastErrno);
            // A non-persistent interface vanishes with its last fd, so the next attempt creates it afresh.
            fd.Dispose();
        }
        throw Error("TUNSETIFF", name, lastErrno);
    }

    private static unsafe TunLibc.IfReq NewIfReq(string name)
    {
        var ifr = default(TunLibc.IfReq);
        var bytes = new Span<byte>(ifr.Name, TunLibc.IFNAMSIZ - 1);
        Encoding.UTF8.GetBytes(name, bytes);
        return ifr;
    }

    private static unsafe string ReadName(in TunLibc.IfReq ifr)
    {
        fixed (byte* name = ifr.Name)
        {
            var span = new ReadOnlySpan<byte>(name, TunLibc.IFNAMSIZ);
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
        }
    }

    private static void ThrowIfInvalid(SafeTunFileHandle handle, string call, string name)
    {
        if (handle.IsInvalid)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw Error(call, name, errno);
        }
    }

    private static IOException Error(string call, string name, int errno) =>
        new($"TUN {name}: {call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    /// <summary>Marks the interface deleted and tells listeners, once.</summary>
    private void OnDeleted()
    {
        if (Interlocked.Exchange(ref _deleted, 1) == 0)
        {
            Log.Deleted(_logger, Name);
            Deleted?.Invoke();
        }
    }

    /// <summary>Closes the device (a non-persistent interface disappears) and wakes a blocked reader.</summary>
    public unsafe void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            ulong one = 1;
            _ = TunLibc.write(_wake, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Already closed: nobody is waiting.
        }
        // A reader inside poll or read holds references, so the descriptors close when it returns.
        _fd.Dispose();
        _control.Dispose();
        _wake.Dispose();
    }
}
