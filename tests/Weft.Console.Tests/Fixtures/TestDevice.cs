using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Console.Tests.Fixtures;

/// <summary>
/// A device speaking the real control protocol to the server: registers with an auth key and holds a map
/// stream (so the server counts it online) until disposed (then it goes offline).
/// </summary>
internal sealed class TestDevice : IAsyncDisposable
{
    private readonly ControlClient _client;
    private readonly string _nodeKey;

    private TestDevice(ControlClient client, string nodeKey, RegisterResponse registration)
    {
        _client = client;
        _nodeKey = nodeKey;
        Registration = registration;
    }

    public RegisterResponse Registration { get; }

    /// <summary>Connects as a new device, registers with <paramref name="authKey"/> as <paramref name="hostname"/>, and opens its map stream when authorized.</summary>
    public static async Task<TestDevice> JoinAsync(Uri server, string authKey, string hostname, CancellationToken ct)
    {
        using var http = new HttpClient();
        var serverKey = await ControlClient.FetchServerKeyAsync(http, server, ct);
        var client = await ControlClient.ConnectAsync(server, Curve25519.GeneratePrivateKey(), serverKey, ct);
        var nodeKey = new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString();
        var registration = await client.RegisterAsync(new RegisterRequest { NodeKey = nodeKey, AuthKey = authKey, HostInfo = new HostInfo { Hostname = hostname, OS = "linux", ClientVersion = "0.1.0" } }, ct);
        if (registration.Authorized)
        {
            await client.SendMapRequestAsync(new MapRequest { NodeKey = nodeKey, Stream = true, DiscoKey = "discokey:" + new string('0', 64) }, ct);
            await client.ReceiveMapAsync(ct);
        }

        return new TestDevice(client, nodeKey, registration);
    }

    /// <summary>Sends new host info on the open connection, as a daemon does after a network check; the server stores it without answering.</summary>
    public Task ReportAsync(HostInfo info, CancellationToken ct) => _client.SendMapRequestAsync(new MapRequest { NodeKey = _nodeKey, HostInfo = info }, ct);

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
