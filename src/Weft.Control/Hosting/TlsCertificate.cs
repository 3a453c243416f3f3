using System.Security.Cryptography.X509Certificates;

namespace Weft.Control.Hosting;

/// <summary>Loads the server's TLS certificate from PEM files (certificate chain and private key).</summary>
internal static class TlsCertificate
{
    /// <exception cref="InvalidDataException">A file is missing or is not PEM of the expected kind; the message names it.</exception>
    public static X509Certificate2 Load(string certFile, string keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // Exported and reloaded so the key is usable by SslStream on every platform (ephemeral PEM keys are not on Windows).
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidDataException($"cannot load TLS certificate {certFile} with key {keyFile}: {ex.Message}", ex);
        }
    }
}
