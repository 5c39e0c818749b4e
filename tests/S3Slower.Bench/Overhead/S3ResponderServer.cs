using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// A small, fast HTTP/1.1 keep-alive responder (plain or TLS) that answers every request head with an S3-looking
/// 200 and a fixed body. It never parses more than it must: a request is a head ending in CRLFCRLF (the load sends
/// GETs without bodies), and the responses for every head in one read go out in one write.
/// </summary>
internal sealed class S3ResponderServer
{
    public const int BodyBytes = 128;

    private static readonly byte[] s_response = BuildResponse();

    /// <summary>The response sent to every request: head and a body of <see cref="BodyBytes"/> bytes.</summary>
    public static ReadOnlySpan<byte> Response => s_response;

    private readonly X509Certificate2? _certificate;

    public S3ResponderServer(bool tls) => _certificate = tls ? CreateCertificate() : null;

    public async Task RunAsync(int port, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(512);
        Console.WriteLine($"listening on 127.0.0.1:{port}{(_certificate is null ? "" : " (TLS)")}");
        while (!cancellationToken.IsCancellationRequested)
        {
            var socket = await listener.AcceptAsync(cancellationToken);
            socket.NoDelay = true;
            _ = Task.Run(() => ServeAsync(socket, cancellationToken), cancellationToken);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate, EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 }, cancellationToken);
                stream = ssl;
            }

            byte[] input = new byte[16 * 1024];
            byte[] output = new byte[s_response.Length * 64];
            int matched = 0; // how much of CRLFCRLF the bytes seen so far end with
            while (true)
            {
                int n = await stream.ReadAsync(input, cancellationToken);
                if (n == 0)
                {
                    return;
                }

                int heads = CountHeads(input.AsSpan(0, n), ref matched);
                while (heads > 0)
                {
                    int now = Math.Min(heads, output.Length / s_response.Length);
                    for (int i = 0; i < now; i++)
                    {
                        s_response.CopyTo(output, i * s_response.Length);
                    }

                    await stream.WriteAsync(output.AsMemory(0, now * s_response.Length), cancellationToken);
                    heads -= now;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            // The load generator closes connections when it stops.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private static int CountHeads(ReadOnlySpan<byte> data, ref int matched)
    {
        int heads = 0;
        foreach (byte b in data)
        {
            matched = b == (matched is 0 or 2 ? (byte)'\r' : (byte)'\n') ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4)
            {
                heads++;
                matched = 0;
            }
        }

        return heads;
    }

    private static byte[] BuildResponse()
    {
        string head = "HTTP/1.1 200 OK\r\n"
            + "x-amz-id-2: dGhpcyBpcyBhIGJlbmNobWFyayByZXNwb25zZSBpZA==\r\n"
            + "x-amz-request-id: 4442587FB7D0A2F9\r\n"
            + "Date: Wed, 01 Jan 2025 00:00:00 GMT\r\n"
            + "ETag: \"d69cb61a6ee87200676eb0d4b90edbcb\"\r\n" // the MD5 of the body: SDKs check it
            + "Content-Type: application/octet-stream\r\n"
            + $"Content-Length: {BodyBytes}\r\n"
            + "Server: AmazonS3\r\n\r\n";
        byte[] response = new byte[Encoding.ASCII.GetByteCount(head) + BodyBytes];
        int written = Encoding.ASCII.GetBytes(head, response);
        response.AsSpan(written).Fill((byte)'x');
        return response;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Re-import so the private key is usable by the platform TLS (OpenSSL) rather than tied to the ephemeral object.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
