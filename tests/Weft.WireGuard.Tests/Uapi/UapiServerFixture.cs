using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>A server on a fresh temporary directory with a fake device; removes both when disposed.</summary>
internal sealed class UapiServerFixture : IDisposable
{
    public UapiServerFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("wfu-");
        InterfaceName = "wfu" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));
        Server = UapiServer.Start(InterfaceName, Device, Logger, Directory.FullName);
    }

    public DirectoryInfo Directory { get; }

    public string InterfaceName { get; }

    public FakeUapiDevice Device { get; } = new();

    public CapturingLogger Logger { get; } = new();

    public UapiServer Server { get; }

    public Task<UapiTestClient> ConnectAsync() => UapiTestClient.ConnectAsync(Server.SocketPath);

    public void Dispose()
    {
        Server.Dispose();
        Directory.Delete(recursive: true);
    }
}
