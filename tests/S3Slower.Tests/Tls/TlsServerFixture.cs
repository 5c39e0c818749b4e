using System.Diagnostics;
using System.Globalization;

namespace S3Slower.Tests.Tls;

/// <summary>A local HTTPS server (self-signed certificate made for the run) plus the kernel harness, shared by the TLS tests.</summary>
public sealed class TlsServerFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("s3slower-tls-server-").FullName;
    private readonly Process _server;

    public TlsServerFixture()
    {
        var cert = Path.Combine(_directory, "cert.pem");
        var key = Path.Combine(_directory, "key.pem");
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert);
        Harness = new TlsKernelHarness(new S3Slower.Collector.Tls.TlsTracerOptions([]));
        _server = Process.Start(new ProcessStartInfo("python3", [Path.Combine(TlsFixtures.Directory, "https_server.py"), cert, key])
        {
            RedirectStandardOutput = true,
        })!;
        Port = int.Parse(_server.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
        ServerPid = _server.Id;
    }

    internal TlsKernelHarness Harness { get; }

    public int Port { get; }

    public int ServerPid { get; }

    public string Url(string path) => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Port}{path}");

    /// <summary>Runs a client to completion and returns its pid; a failing client fails the test with its stderr.</summary>
    public static int Run(string file, params string[] arguments) => Run(file, arguments, null);

    public static int Run(string file, string[] arguments, IDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), $"{file} did not finish");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr} {stdout.Result}");
        return process.Id;
    }

    public void Dispose()
    {
        _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
        Harness.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
