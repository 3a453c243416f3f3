using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Weft.WireGuard.Uapi;

/// <summary>
/// Serves the WireGuard cross-platform userspace API on `&lt;directory&gt;/&lt;interface&gt;.sock` so the
/// standard `wg` tool configures and inspects a Weft device exactly as it does wireguard-go.
/// </summary>
/// <remarks>
/// Each connection may carry many requests. A malformed request gets its errno answer and the
/// connection stays usable when the request's end can still be found (the blank line); only an
/// unknown operation or an over-long line ends a connection. One bad client never blocks another, but
/// device calls are serialized across all connections.
/// </remarks>
public sealed partial class UapiServer : IDisposable
{
    private readonly IUapiDevice _device;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> _clients = new();

    // _deviceGate serializes every call into _device.
    private readonly Lock _deviceGate = new();

    private int _disposed;

    private UapiServer(string socketPath, IUapiDevice device, ILogger logger, Socket listener)
    {
        SocketPath = socketPath;
        _device = device;
        _logger = logger;
        _listener = listener;
    }

    /// <summary>Full path of the socket file.</summary>
    public string SocketPath { get; }

    /// <summary>
    /// Creates the directory (0755) if missing, refuses with <see cref="IOException"/> when a live socket of
    /// that name answers, removes a stale one, then listens on a 0600 socket and starts accepting.
    /// </summary>
    /// <param name="interfaceName">A Linux interface name: 1-15 characters, no '/', ':' or whitespace.</param>
    /// <param name="device">The device requests go to.</param>
    /// <param name="logger">Receives one line per failed request (never a key).</param>
    /// <param name="directory">Defaults to <see cref="UapiConstants.DefaultSocketDirectory"/>, where `wg` looks.</param>
    public static UapiServer Start(string interfaceName, IUapiDevice device, ILogger logger, string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(logger);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the WireGuard UAPI uses named pipes on Windows; only Unix sockets are implemented");
        }
        ValidateInterfaceName(interfaceName);
        directory ??= UapiConstants.DefaultSocketDirectory;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UapiConstants.DirectoryMode);
        }
        var socketPath = Path.Combine(directory, interfaceName + UapiConstants.SocketSuffix);
        RemoveStaleSocket(socketPath);
        var listener = BindPrivately(directory, interfaceName, socketPath);
        var server = new UapiServer(socketPath, device, logger, listener);
        Log.Listening(logger, socketPath);
        _ = server.AcceptLoopAsync();
        return server;
    }

    /// <summary>Stops accepting, closes every connection and deletes the socket file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping.Cancel();
        _listener.Dispose();
        foreach (var client in _clients.Keys)
        {
            client.Dispose();
        }
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException e)
        {
            Log.SocketNotDeleted(_logger, SocketPath, e);
        }
        catch (UnauthorizedAccessException e)
        {
            Log.SocketNotDeleted(_logger, SocketPath, e);
        }
        _stopping.Dispose();
    }

    private static void ValidateInterfaceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var valid = name.Length is > 0 and <= UapiConstants.MaxInterfaceNameLength && name is not "." and not "..";
        foreach (var c in name)
        {
            valid &= c is > ' ' and < (char)0x7f and not '/' and not ':';
        }
        if (!valid)
        {
            throw new ArgumentException($"'{UapiSetBuilder.Quote(name)}' is not a valid interface name (1-{UapiConstants.MaxInterfaceNameLength} characters, no '/', ':' or spaces)", nameof(name));
        }
    }

    // A socket file that accepts a connection belongs to a running process: refuse rather than steal its
    // name. One that refuses is left over from a process that died: remove it, as wireguard-go does.
    private static void RemoveStaleSocket(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return;
        }
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(socketPath));
                throw new IOException($"UAPI socket {socketPath} is in use by a running process");
            }
            catch (SocketException)
            {
            }
        }
        File.Delete(socketPath);
    }

    // Bind inside a fresh 0700 directory, make the socket 0600, then rename it into place: no moment
    // exists where another user could connect to a socket that hands out the private key.
    [UnsupportedOSPlatform("windows")]
    private static Socket BindPrivately(string directory, string interfaceName, string socketPath)
    {
        var privateDirectory = Path.Combine(directory, $".{interfaceName}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        Directory.CreateDirectory(privateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            var temporaryPath = Path.Combine(privateDirectory, "s");
            listener.Bind(new UnixDomainSocketEndPoint(temporaryPath));
            File.SetUnixFileMode(temporaryPath, UapiConstants.SocketMode);
            listener.Listen(UapiConstants.ListenBacklog);
            File.Move(temporaryPath, socketPath, overwrite: false);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        finally
        {
            Directory.Delete(privateDirectory, recursive: true);
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.AcceptFailed(_logger, e);
                continue;
            }
            _clients.TryAdd(client, 0);
            _ = ServeAsync(client, token);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken token)
    {
        try
        {
            using var stream = new NetworkStream(client, ownsSocket: false);
            var connection = new UapiConnection(stream, this);
            await connection.RunAsync(token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the server is stopping: nothing to answer.
        }
        catch (Exception e)
        {
            // A bug must cost one connection, never the process.
            Log.ConnectionFailed(_logger, e);
        }
        finally
        {
            _clients.TryRemove(client, out _);
            client.Dispose();
        }
    }

    /// <summary>Takes a snapshot for get (serialized with every other device call); null when the device threw.</summary>
    internal UapiDeviceState? GetState()
    {
        try
        {
            lock (_deviceGate)
            {
                return _device.GetState();
            }
        }
#pragma warning disable CA1031 // The device's failure is reported to the client as an errno.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.DeviceFailed(_logger, e);
            return null;
        }
    }

    /// <summary>Applies a parsed request; a device exception becomes <see cref="UapiErrno.Unknown"/>.</summary>
    internal UapiErrno Apply(UapiSetRequest request)
    {
        try
        {
            lock (_deviceGate)
            {
                return _device.Apply(request);
            }
        }
#pragma warning disable CA1031 // The device's failure is reported to the client as an errno, as wireguard-go does.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.DeviceFailed(_logger, e);
            return UapiErrno.Unknown;
        }
    }

    internal ILogger Logger => _logger;
}
