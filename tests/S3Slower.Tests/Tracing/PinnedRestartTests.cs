using S3Slower.Tests.Faults;
using Xunit.Abstractions;

namespace S3Slower.Tests.Tracing;

/// <summary>
/// <c>--pin</c>: maps, tracepoint links and TLS uprobe links stay in bpffs while the collector is gone, so plain and
/// HTTPS requests made while it is killed are queued by the kernel and delivered by the next collector, exactly once
/// (the next collector reuses the pinned uprobes rather than adding its own, which would report each call twice).
/// Without it nothing is pinned.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class PinnedRestartTests(ITestOutputHelper output)
{
    private const string PinRoot = "/sys/fs/bpf/s3slower";
    private const int SigTerm = 15;

    [Fact]
    public async Task KilledPinnedCollector_RequestsMadeWhileDownAreDeliveredOnceByTheNext()
    {
        FaultEnvironment.RequireRoot("the collector loads and pins eBPF programs");
        string dir = FaultEnvironment.NewDirectory("s3slower-pin-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            await FaultEnvironment.UnpinAsync();
            await using var server = await StartHttpServerAsync();
            await using var tlsServer = await StartHttpsServerAsync(dir);
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            string tag = "pin" + Guid.NewGuid().ToString("N")[..8];

            List<string> before;
            await using (var first = await StartCollectorAsync(socket, "--pin"))
            {
                Assert.True(first.StderrContains("pinned maps and links in"), "the first --pin collector did not report its pins\n" + first.Diagnostics());
                before = [.. await CurlAsync(server.Port, tag + "-before", 10), .. await CurlAsync(tlsServer.Port, tag + "-tls-before", 10, tls: true)];
                await WaitForKeysAsync(aggregator, before, first);
                await first.KillHardAsync();
            }

            string[] pins = Directory.Exists(PinRoot) ? Directory.GetFileSystemEntries(PinRoot, "*", SearchOption.AllDirectories) : [];
            Assert.True(pins.Any(p => Path.GetFileName(p).StartsWith("link_", StringComparison.Ordinal)) && pins.Any(p => Path.GetFileName(p) == "events")
                && pins.Any(p => Path.GetFileName(p).StartsWith("link_tls_", StringComparison.Ordinal)),
                $"after kill -9 the pins should remain in {PinRoot}; found: {string.Join(", ", pins)}");

            List<string> whileDown = [.. await CurlAsync(server.Port, tag + "-down", 20), .. await CurlAsync(tlsServer.Port, tag + "-tls-down", 20, tls: true)];

            await using (var second = await StartCollectorAsync(socket, "--pin"))
            {
                Assert.True(second.StderrContains("continuing pinned tracing"), "the second collector did not reuse the pins\n" + second.Diagnostics());
                await WaitForKeysAsync(aggregator, [.. whileDown], second);
                FaultEnvironment.Signal(second.Pid, SigTerm);
                Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            }

            LogAudit audit = LogAudit.Read(aggregator.OperationsLogPath);
            var (missing, duplicated, detail) = audit.Check([.. before, .. whileDown]);
            output.WriteLine(detail);
            Assert.True(missing == 0 && duplicated == 0, "every request made before and during the kill must be in operations.jsonl exactly once: " + detail);
            Assert.True(Directory.Exists(PinRoot), $"a normal exit with --pin must keep {PinRoot}");

            Assert.Contains("removed the pinned", await FaultEnvironment.UnpinAsync(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(PinRoot), $"--unpin left {PinRoot}");
            Assert.Contains("nothing pinned", await FaultEnvironment.UnpinAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await FaultEnvironment.UnpinAsync();
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    [Fact]
    public async Task WithoutPin_NothingIsPinned()
    {
        FaultEnvironment.RequireRoot("the collector loads eBPF programs");
        string dir = FaultEnvironment.NewDirectory("s3slower-nopin-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            await FaultEnvironment.UnpinAsync();
            await using var server = await StartHttpServerAsync();
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            await using var collector = await StartCollectorAsync(socket);
            var keys = await CurlAsync(server.Port, "nopin" + Guid.NewGuid().ToString("N")[..8], 3);
            await WaitForKeysAsync(aggregator, keys, collector);
            Assert.False(Directory.Exists(PinRoot), $"a collector without --pin created {PinRoot}");
            FaultEnvironment.Signal(collector.Pid, SigTerm);
            Assert.Equal(0, await collector.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(Directory.Exists(PinRoot), $"a collector without --pin left {PinRoot}");
        }
        finally
        {
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    private static async Task<ChildProcess> StartCollectorAsync(string socket, params string[] extra)
    {
        var collector = ChildProcess.Start(FaultEnvironment.CollectorExecutable, ["--socket", socket, "--print", "--comm", "curl", .. extra]);
        Assert.True(await collector.WaitForStderrAsync("connected to the aggregator", TimeSpan.FromSeconds(60)), "collector did not connect\n" + collector.Diagnostics());
        return collector;
    }

    private static async Task<HttpServerProcess> StartHttpServerAsync()
    {
        int port = FaultEnvironment.FreePort();
        var process = ChildProcess.Start("python3", ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1"], keepStdout: false);
        bool up = await FaultEnvironment.WaitUntilAsync(() => CanConnect(port), TimeSpan.FromSeconds(15), 100);
        Assert.True(up, "python3 -m http.server did not start\n" + process.Diagnostics());
        return new HttpServerProcess(process, port);
    }

    /// <summary>The TLS tests' HTTPS server (Python's ssl, i.e. libssl), with a certificate made for the run.</summary>
    private static async Task<HttpServerProcess> StartHttpsServerAsync(string dir)
    {
        string cert = Path.Combine(dir, "cert.pem"), key = Path.Combine(dir, "key.pem");
        await using (var openssl = ChildProcess.Start("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", key, "-out", cert]))
        {
            Assert.True(await openssl.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, "openssl req failed\n" + openssl.Diagnostics());
        }

        var process = ChildProcess.Start("python3", [Path.Combine(Tls.TlsFixtures.Directory, "https_server.py"), cert, key]);
        int port = 0;
        bool up = await FaultEnvironment.WaitUntilAsync(
            () => int.TryParse(process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), out port) && CanConnect(port),
            TimeSpan.FromSeconds(15),
            100);
        Assert.True(up, "https_server.py did not start\n" + process.Diagnostics());
        return new HttpServerProcess(process, port);
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>One curl process, <paramref name="count"/> requests, each with its own key.</summary>
    private static async Task<List<string>> CurlAsync(int port, string prefix, int count, bool tls = false)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D4}").ToList();
        var args = new List<string> { "-s", "-k", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD" };
        foreach (string key in keys)
        {
            args.AddRange(["-o", "/dev/null", $"{(tls ? "https" : "http")}://127.0.0.1:{port}/pin-bucket/{key}"]);
        }

        await using var curl = ChildProcess.Start("curl", args);
        Assert.True(await curl.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, "curl failed\n" + curl.Diagnostics());
        return keys;
    }

    private static async Task WaitForKeysAsync(FaultAggregator aggregator, IReadOnlyList<string> keys, ChildProcess collector)
    {
        bool all = await FaultEnvironment.WaitUntilAsync(
            () => File.Exists(aggregator.OperationsLogPath) && LogAudit.Read(aggregator.OperationsLogPath).Check(keys).Missing == 0,
            TimeSpan.FromSeconds(20),
            200);
        if (!all)
        {
            string detail = File.Exists(aggregator.OperationsLogPath) ? LogAudit.Read(aggregator.OperationsLogPath).Check(keys).Detail : "no operations.jsonl";
            Assert.Fail($"requests missing from operations.jsonl: {detail}\n{collector.Diagnostics()}\n{aggregator.Diagnostics()}");
        }
    }

    private sealed class HttpServerProcess(ChildProcess process, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }
}
