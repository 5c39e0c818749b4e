using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace S3Slower.DotnetClient;

/// <summary>Opens connections for SocketsHttpHandler: TCP, then TLS when the endpoint is https, then the timing stream.</summary>
internal sealed class Connector(ExchangeRecorder recorder, bool tls, X509Certificate2? trustedCa)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = context.DnsEndPoint.Host,
                        RemoteCertificateValidationCallback = Validate,
                    },
                    cancellationToken);
                stream = ssl;
            }

            if (recorder.Current is { } exchange)
            {
                exchange.NewConnection = true;
            }

            return new TimingStream(stream, recorder);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (trustedCa is null || certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(trustedCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(new X509Certificate2(certificate));
    }
}
