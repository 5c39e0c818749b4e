namespace S3Slower.Bench.Overhead;

/// <summary>wrk keep-alive GETs, SigV4-looking, against the bench's responder (plain or TLS).</summary>
internal sealed class HttpWorkload : IWorkload
{
    private readonly string _url;
    private readonly string _script;
    private readonly int _connections;

    public HttpWorkload(bool tls, int port, string script, int connections, int seconds)
    {
        Name = tls ? "https" : "http";
        Target = tls ? 0.95 : 0.97;
        _url = $"{(tls ? "https" : "http")}://127.0.0.1:{port}/";
        _script = script;
        _connections = connections;
        Seconds = seconds;
    }

    public string Name { get; }

    public int Seconds { get; }

    public string Comm => "wrk";

    public string Unit => "req/s";

    public double? Target { get; }

    public bool ProducesRequests => true;

    public string Command => $"wrk -t1 -c{_connections} -d{Seconds}s -s s3-get.lua {_url}";

    public async Task<Measurement> RunAsync()
    {
        var result = await WrkRunner.RunAsync(_url, _script, _connections, Seconds);
        if (result.SocketErrors > 0)
        {
            Console.WriteLine($"    (wrk reported {result.SocketErrors} socket errors)");
        }

        return new Measurement(result.RequestsPerSecond, result.Requests);
    }
}
