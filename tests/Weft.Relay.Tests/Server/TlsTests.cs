using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Keys;
using Weft.Relay.Client;

namespace Weft.Relay.Tests.Server;

public sealed class TlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HttpsRelay_CarriesPackets_ForClientsThatTrustItsCertificate()
    {
        using var dir = new TempDir();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(dir.File("cert.pem"), certificate.ExportCertificatePem(), Ct);
        await File.WriteAllTextAsync(dir.File("key.pem"), key.ExportPkcs8PrivateKeyPem(), Ct);

        await using var relay = await TestRelay.StartAsync(o =>
        {
            o.Listen = "https://127.0.0.1:0";
            o.TlsCert = dir.File("cert.pem");
            o.TlsKey = dir.File("key.pem");
        });
        Assert.Equal("https", relay.Url.Scheme);
        var options = new RelayClientOptions
        {
            Url = relay.Url,
            RelayPublic = relay.Server.PublicKey,
            // Pinned: this test's self-signed certificate and nothing else.
            CertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
        };
        var bKey = PrivateKey.Generate();
        var received = new TaskCompletionSource<byte[]>();
        await using var a = new RelayClient(options, PrivateKey.Generate(), NullLogger.Instance);
        await using var b = new RelayClient(options, bKey, NullLogger.Instance);
        a.Start((_, _) => { });
        b.Start((_, packet) => received.TrySetResult(packet.ToArray()));
        await a.WaitConnectedAsync(Ct);
        await b.WaitConnectedAsync(Ct);

        await Eventually.TrueAsync(() => relay.Server.IsLocal(new NodePublic(bKey.PublicKey())), "b is registered");
        Assert.True(a.TrySend(new NodePublic(bKey.PublicKey()), [1, 2, 3]));

        Assert.Equal(new byte[] { 1, 2, 3 }, await received.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }
}
