using Amazon.Runtime;

namespace S3Slower.DotnetClient;

/// <summary>Gives the SDK an HttpClient whose connections are timed (one keep-alive connection, like a real app's pool).</summary>
internal sealed class TimedHttpClientFactory(ExchangeRecorder recorder, Connector connector) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var sockets = new SocketsHttpHandler
        {
            ConnectCallback = connector.ConnectAsync,
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
        };
        return new HttpClient(new TimingHandler(recorder, sockets)) { Timeout = TimeSpan.FromSeconds(60) };
    }

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;
}
