using System.Text.Json;

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>
/// Two s3rver instances on 127.0.0.1 (tests/clients/s3rver-server.js): one plain HTTP, one HTTPS with a self-signed
/// certificate made for the run (SAN 127.0.0.1 and localhost), each with its own data directory.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("s3rver");
    private ManagedProcess? _http;
    private ManagedProcess? _https;

    public string HttpEndpoint { get; private set; } = "";

    public string HttpsEndpoint { get; private set; } = "";

    /// <summary>The certificate that the HTTPS instance presents; clients trust it as their CA.</summary>
    public string CaFile => _dir.File("cert.pem");

    public IReadOnlyList<int> ServerPids => [_http!.Pid, _https!.Pid];

    public async Task InitializeAsync()
    {
        if (!Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "s3rver")))
        {
            throw new InvalidOperationException($"s3rver is not installed: run {RepoPaths.Clients}/install.sh");
        }

        await GenerateCertificateAsync();
        _http = Start("s3rver-http", []);
        _https = Start("s3rver-https", ["--key", _dir.File("key.pem"), "--cert", CaFile]);
        HttpEndpoint = $"http://127.0.0.1:{await ReadyPortAsync(_http)}";
        HttpsEndpoint = $"https://127.0.0.1:{await ReadyPortAsync(_https)}";
    }

    public async Task DisposeAsync()
    {
        if (_http is not null)
        {
            await _http.DisposeAsync();
        }

        if (_https is not null)
        {
            await _https.DisposeAsync();
        }

        Dispose();
    }

    public void Dispose() => _dir.Dispose();

    public string Endpoint(bool tls) => tls ? HttpsEndpoint : HttpEndpoint;

    private ManagedProcess Start(string name, string[] extra) =>
        ManagedProcess.Start(
            name,
            "node",
            [Path.Combine(RepoPaths.Clients, "s3rver-server.js"), "--directory", _dir.File(name), "--port", "0", .. extra],
            workingDirectory: RepoPaths.Clients);

    private static async Task<int> ReadyPortAsync(ManagedProcess server)
    {
        var line = await server.WaitForLineAsync(l => l.Contains("\"ready\":true", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "ready");
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("port").GetInt32();
    }

    private async Task GenerateCertificateAsync()
    {
        await using var openssl = ManagedProcess.Start(
            "openssl",
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=s3slower-e2e", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", _dir.File("key.pem"), "-out", CaFile]);
        if (await openssl.WaitForExitAsync(TimeSpan.FromSeconds(30)) != 0)
        {
            throw new InvalidOperationException($"openssl could not make the test certificate.\n{openssl.Output()}");
        }
    }
}
