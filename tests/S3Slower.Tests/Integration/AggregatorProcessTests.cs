using System.Net;
using System.Text.Json;
using S3Slower.Shared.Protocol;
using S3Slower.Tests.Aggregator;

namespace S3Slower.Tests.Integration;

/// <summary>The real aggregator process fed through the real socket protocol by synthetic collectors.</summary>
public sealed class AggregatorProcessTests
{
    private const int SigTerm = 15;
    private const int SigUsr1 = 10;

    private static List<RequestEvent> Events(int count, int offset)
    {
        var list = new List<RequestEvent>(count);
        for (int i = 0; i < count; i++)
        {
            int n = offset + i;
            list.Add(n % 2 == 0
                ? TestEvents.Put("bucket", $"dir/obj-{n}", 1 + (n % 50), status: n % 10 == 0 ? 503 : 200, pid: Environment.ProcessId)
                : TestEvents.Get("bucket", $"dir/obj-{n}", 1 + (n % 50), pid: Environment.ProcessId));
        }

        return list;
    }

    private static async Task WaitForFileAsync(string path)
    {
        for (int i = 0; i < 200 && !File.Exists(path); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(File.Exists(path), path + " was not written");
    }

    [Fact]
    public async Task CollectorsFeedMetricsLogAndExports()
    {
        await using var agg = await AggregatorProcess.StartAsync("-d", "prometheus,jsonl,json,csv", "--driver", "screen", "-i", "1");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{agg.Port}") };

        await using (var a = await AggregatorTestCollector.ConnectAsync(agg.SocketPath, "collector-a"))
        await using (var b = await AggregatorTestCollector.ConnectAsync(agg.SocketPath, "collector-b"))
        {
            Assert.Equal(0UL, a.NextSequence);
            for (int round = 0; round < 3; round++)
            {
                await a.SendAsync(Events(100, round * 100));
                await b.SendAsync(Events(100, 1000 + (round * 100)));
            }

            await a.SendCountersAsync(new CollectorCounters(KernelEventsLost: 4, SpoolDropped: 0, MalformedEvents: 0, RequestsSeen: 300));
        }

        // Acked means durable: every event is in the log already.
        string log = Path.Combine(agg.Directory, "operations.jsonl");
        string[] lines = File.ReadAllLines(log);
        Assert.Equal(600, lines.Length);
        Assert.Equal(600, lines.Select(l => JsonDocument.Parse(l).RootElement).Select(r => (r.GetProperty("collector_id").GetString(), r.GetProperty("seq").GetUInt64())).Distinct().Count());

        // A reconnecting collector resumes where the aggregator stored up to.
        await using (var again = await AggregatorTestCollector.ConnectAsync(agg.SocketPath, "collector-a"))
        {
            Assert.Equal(300UL, again.NextSequence);
        }

        var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        string metrics = await response.Content.ReadAsStringAsync();
        var (exit, output) = await Promtool.CheckMetricsAsync(metrics);
        Assert.True(exit == 0, output);
        Assert.Contains("s3slower_events_received_total 600", metrics, StringComparison.Ordinal);
        Assert.Equal(600, SumOf(metrics, "s3slower_requests_total{"));
        Assert.Equal(60, SumOf(metrics, "s3slower_request_errors_total{"));
        Assert.Contains("s3slower_events_lost_total{collector=\"synthetic-host\",reason=\"ring_buffer_full\"} 4", metrics, StringComparison.Ordinal);
        Assert.Contains("error_code=\"SlowDown\"", metrics, StringComparison.Ordinal);

        Assert.Equal("ok\n", await http.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/operations.jsonl", UriKind.Relative))).StatusCode);
        using (var summary = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/summary", UriKind.Relative))))
        {
            Assert.Equal(600, summary.RootElement.GetProperty("overall").GetProperty("count").GetInt64());
            Assert.DoesNotContain("obj-", summary.RootElement.GetRawText(), StringComparison.Ordinal); // statistics only
        }

        // SIGUSR1: exports now, keeps running.
        agg.Signal(SigUsr1);
        string json = Path.Combine(agg.Directory, "aggregated.json");
        await WaitForFileAsync(json);
        await Task.Delay(200);
        using (var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)))
        {
            Assert.Equal(600, report.RootElement.GetProperty("overall").GetProperty("count").GetInt64());
            Assert.Equal(2, report.RootElement.GetProperty("run").GetProperty("collectors").GetArrayLength());
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);

        // SIGTERM: stops cleanly and writes every export.
        File.Delete(json);
        agg.Signal(SigTerm);
        Assert.Equal(0, await agg.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(json), agg.Stderr);
        Assert.Equal(601, File.ReadAllLines(Path.Combine(agg.Directory, "operations.csv")).Length);
        Assert.True(File.ReadAllLines(Path.Combine(agg.Directory, "aggregated.csv")).Length > 2);
        Assert.Contains("S3_OPERATION", agg.Stdout, StringComparison.Ordinal);
        Assert.Contains("PutObject", agg.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutALogBatchesAreCountedOnArrivalOnceAndABadBatchNotAtAll()
    {
        // No jsonl driver: connections count batches themselves, chunk by chunk, and acknowledge them at once.
        await using var agg = await AggregatorProcess.StartAsync("-d", "prometheus,json");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{agg.Port}") };

        await using (var a = await AggregatorTestCollector.ConnectAsync(agg.SocketPath, "collector-a"))
        {
            await a.SendAsync(Events(1000, 0));

            // A resend that overlaps what is stored (a collector that restarted before its last ack): only the new half counts.
            await a.SendAsync(Events(1000, 500), firstSequence: 500);
            Assert.Equal(1500UL, a.NextSequence);
        }

        await using (var bad = await AggregatorTestCollector.ConnectAsync(agg.SocketPath, "collector-bad"))
        {
            // Valid events, then one whose comm is nil: the whole batch is refused, none of its events counted.
            var events = Events(600, 0);
            events[599] = events[599] with { Comm = null! };
            Assert.True(await bad.SendAndExpectCloseAsync(FrameCodec.Encode(FrameType.Events, new EventBatch(0, events))));
        }

        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(1500, SumOf(metrics, "s3slower_requests_total{"));
        Assert.Equal(150, SumOf(metrics, "s3slower_request_errors_total{"));
        Assert.Equal(1, SumOf(metrics, "s3slower_ipc_frames_rejected_total{"));
        Assert.Contains("s3slower_events_received_total 2000", metrics, StringComparison.Ordinal);
        var (exit, output) = await Promtool.CheckMetricsAsync(metrics);
        Assert.True(exit == 0, output);

        agg.Signal(SigTerm);
        Assert.Equal(0, await agg.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(agg.Directory, "aggregated.json")));
        Assert.Equal(1500, report.RootElement.GetProperty("overall").GetProperty("count").GetInt64());
        Assert.False(File.Exists(Path.Combine(agg.Directory, "operations.jsonl")));
    }

    [Fact]
    public async Task NotifiesSystemdReadyWatchdogAndStopping()
    {
        string dir = Directory.CreateTempSubdirectory("s3slower-notify-").FullName;
        string notifyPath = Path.Combine(dir, "notify");
        using var notify = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        notify.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(notifyPath));
        var env = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath, ["WATCHDOG_USEC"] = "1000000" };
        await using var agg = await AggregatorProcess.StartAsync(env, "-d", "jsonl");
        var seen = new List<string>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!(seen.Contains("READY=1") && seen.Contains("WATCHDOG=1")))
        {
            int n = await notify.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token);
            seen.Add(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        }

        agg.Signal(SigTerm);
        while (!seen.Contains("STOPPING=1"))
        {
            int n = await notify.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token);
            seen.Add(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        }

        Assert.Equal(0, await agg.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task EndpointIsRateLimitedPerClient()
    {
        await using var agg = await AggregatorProcess.StartAsync("-d", "prometheus");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{agg.Port}") };
        var codes = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => http.GetAsync(new Uri("/healthz", UriKind.Relative))));
        Assert.Contains(codes, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Contains(codes, r => r.StatusCode == HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("--driver", "graphite")]
    [InlineData("--listen", "nowhere")]
    [InlineData("--interval", "soon")]
    [InlineData("--redact-keys", "encrypt")]
    [InlineData("--no-such-flag")]
    public async Task BadFlagsExitWithUsageError(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(AggregatorProcess.Dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("s3slower-aggregator:", stderr, StringComparison.Ordinal);
    }

    private static double SumOf(string exposition, string prefix) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
