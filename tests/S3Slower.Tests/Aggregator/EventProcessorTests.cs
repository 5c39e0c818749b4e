using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Processing;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Configuration;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Aggregator;

public sealed class EventProcessorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s3slower-proc-").FullName;
    private readonly List<ulong> _acks = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (EventProcessor Processor, StatsStore Stats, SelfMetrics Self, Prometheus.CollectorRegistry Registry) Create(
        KeyRedaction redaction = KeyRedaction.None, double minLatencyMs = 0, string? outputDir = null)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var self = new SelfMetrics(registry);
        var stats = new StatsStore();
        var options = new ProcessingOptions((long)(minLatencyMs * 1e6), WriteLog: true, BucketLabels: true, redaction, []);
        var log = new OperationsLog(outputDir ?? _dir, NullLogger.Instance);
        var processor = new EventProcessor(options, new S3Classifier(), stats, new RequestMetrics(registry, 100, TimeSpan.Zero), self,
            new ScreenTable(), log, NullLogger.Instance);
        return (processor, stats, self, registry);
    }

    private IngestBatch Batch(ulong first, params RequestEvent[] events) =>
        new(TestEvents.Collector, first, events, next => _acks.Add(next));

    private string[] LogLines(string? dir = null) => File.ReadAllLines(Path.Combine(dir ?? _dir, OperationsLog.FileName));

    [Fact]
    public void WritesOneSnakeCaseRecordPerRequestThenAcks()
    {
        var (p, stats, _, _) = Create();
        p.Process(Batch(10, TestEvents.Put("bkt", "a/b.txt", 20), TestEvents.Get("bkt", "a/b.txt", 5)));
        Assert.Equal([12UL], _acks);

        string[] lines = LogLines();
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[0]);
        var r = doc.RootElement;
        string[] expected =
        [
            "time", "collector_id", "seq", "hostname", "pid", "tid", "comm", "method", "operation", "bucket", "key", "part_number",
            "endpoint", "status", "error_code", "request_id", "amz_id2", "tls", "connection_id", "request_bytes", "response_bytes",
            "total_ms", "ttfb_ms", "upload_ms", "server_ms", "wait_ms", "download_ms", "flags",
        ];
        Assert.Equal(expected, r.EnumerateObject().Select(o => o.Name).ToArray());
        Assert.Equal("collector-test-1", r.GetProperty("collector_id").GetString());
        Assert.Equal(10UL, r.GetProperty("seq").GetUInt64());
        Assert.Equal("host-a", r.GetProperty("hostname").GetString());
        Assert.Equal("PUT", r.GetProperty("method").GetString());
        Assert.Equal(20.0, r.GetProperty("total_ms").GetDouble(), 6);
        Assert.Equal(18.0, r.GetProperty("ttfb_ms").GetDouble(), 6);
        Assert.Equal(10.0, r.GetProperty("upload_ms").GetDouble(), 6);
        Assert.Equal(8.0, r.GetProperty("server_ms").GetDouble(), 6);
        Assert.Equal(2.0, r.GetProperty("download_ms").GetDouble(), 6);
        Assert.Equal("REQ123", r.GetProperty("request_id").GetString());
        Assert.Equal("continue_100", Assert.Single(r.GetProperty("flags").EnumerateArray()).GetString());
        Assert.StartsWith("2025-11-30T", r.GetProperty("time").GetString(), StringComparison.Ordinal);
        Assert.Equal(11UL, JsonDocument.Parse(lines[1]).RootElement.GetProperty("seq").GetUInt64());

        Assert.Equal(2, stats.Snapshot().Sum(kv => kv.Value.Count));
        Assert.Equal(2, p.EventsProcessed);
    }

    [Theory]
    [InlineData(KeyRedaction.Hash)]
    [InlineData(KeyRedaction.Drop)]
    public void KeysAreRedacted(KeyRedaction mode)
    {
        var (p, _, _, _) = Create(mode);
        p.Process(Batch(0, TestEvents.Put("bkt", "secret-customer-file.pdf", 3)));
        string line = LogLines().Single();
        Assert.DoesNotContain("secret-customer-file", line, StringComparison.Ordinal);
        var key = JsonDocument.Parse(line).RootElement.GetProperty("key");
        if (mode == KeyRedaction.Drop)
        {
            Assert.Equal(JsonValueKind.Null, key.ValueKind);
        }
        else
        {
            Assert.StartsWith(KeyRedactor.HashPrefix, key.GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CredentialsThatSlippedThroughAppearNowhere()
    {
        var (p, _, _, registry) = Create();
        var leaky = TestEvents.Get("bkt", "obj", 4) with
        {
            Target = "/bkt/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20251130&X-Amz-Signature=deadbeefcafe&x-amz-security-token=SESSIONTOKEN",
            Headers = new Dictionary<string, string> { ["authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE", ["x-amz-security-token"] = "SESSIONTOKEN" },
        };
        p.Process(Batch(0, leaky));
        string all = string.Join('\n', LogLines());
        using var metrics = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(metrics);
        all += System.Text.Encoding.UTF8.GetString(metrics.ToArray());
        foreach (string secret in new[] { "AKIAEXAMPLE", "deadbeefcafe", "SESSIONTOKEN" })
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        }

        Assert.Equal("/bkt/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256", CredentialScrubber.ScrubTarget(leaky.Target));
        Assert.Null(CredentialScrubber.ScrubHeaders(leaky.Headers)!.GetValueOrDefault("authorization"));
    }

    [Fact]
    public void FastRequestsAreCountedButNotLogged()
    {
        var (p, stats, _, _) = Create(minLatencyMs: 10);
        p.Process(Batch(0, TestEvents.Put("b", "fast", 2), TestEvents.Put("b", "slow", 50)));
        Assert.Single(LogLines());
        Assert.Equal(2, stats.Snapshot().Sum(kv => kv.Value.Count));
        Assert.Equal([2UL], _acks);
    }

    [Fact]
    public void UnwritableOutputHoldsAcksAndResumesInOrder()
    {
        // A regular file where the output directory should be: every write fails, as on a full or read-only disk.
        string blocked = Path.Combine(_dir, "out");
        File.WriteAllText(blocked, "in the way");
        var (p, stats, _, registry) = Create(outputDir: blocked);

        p.Process(Batch(0, TestEvents.Put("b", "k1", 5)));
        p.Process(Batch(1, TestEvents.Put("b", "k2", 5), TestEvents.Put("b", "k3", 5)));
        Assert.Empty(_acks);
        Assert.Equal(2, p.PendingBatches);
        Assert.Equal(3, stats.Snapshot().Sum(kv => kv.Value.Count)); // still counted
        Assert.Contains("s3slower_log_write_failures_total 2", Scrape(registry), StringComparison.Ordinal);

        File.Delete(blocked); // space returns
        p.Process(Batch(3, TestEvents.Put("b", "k4", 5)));
        Assert.Equal([1UL, 3UL, 4UL], _acks);
        Assert.Equal(0, p.PendingBatches);
        string[] seqs = [.. LogLines(blocked).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetUInt64().ToString(System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(["0", "1", "2", "3"], seqs);
    }

    [Fact]
    public void PendingRecordsBeyondTheBoundAreWrittenOffAndCounted()
    {
        string blocked = Path.Combine(_dir, "out");
        File.WriteAllText(blocked, "in the way");
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var self = new SelfMetrics(registry);
        var options = new ProcessingOptions(0, true, false, KeyRedaction.None, [], MaxPendingLogBytes: 2000);
        var p = new EventProcessor(options, new S3Classifier(), new StatsStore(), new RequestMetrics(registry, 100, TimeSpan.Zero), self,
            null, new OperationsLog(blocked, NullLogger.Instance), NullLogger.Instance);
        for (ulong i = 0; i < 10; i++)
        {
            p.Process(Batch(i, TestEvents.Put("b", "k" + i, 5)));
        }

        Assert.True(p.PendingBatches < 10);
        Assert.NotEmpty(_acks);
        Assert.Equal(_acks.Order().ToList(), _acks);
        Assert.Matches(@"s3slower_log_records_dropped_total [1-9]", Scrape(registry));
    }

    [Fact]
    public void ExportRebuildsTheSameStatisticsFromTheLog()
    {
        var (p, stats, _, _) = Create();
        var rng = new Random(9);
        for (ulong i = 0; i < 200; i++)
        {
            p.Process(Batch(i, i % 3 == 0 ? TestEvents.Get("b", "k" + i, rng.Next(1, 500)) : TestEvents.Put("b", "k" + i, rng.Next(1, 500), i % 7 == 0 ? 503 : 200)));
        }

        var live = ReportBuilder.Build(stats.Snapshot(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, [], new Dictionary<string, string>());
        string outDir = Path.Combine(_dir, "export");
        var text = new StringWriter();
        Assert.Equal(0, S3Slower.Aggregator.Cli.ExportCommand.Run(Path.Combine(_dir, OperationsLog.FileName), outDir, json: true, csv: true, bucketLabels: true, text));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ReportFiles.AggregatedJson)));
        var overall = doc.RootElement.GetProperty("overall");
        Assert.Equal(200, overall.GetProperty("count").GetInt64());
        Assert.Equal(live.Overall.Errors, overall.GetProperty("errors").GetInt64());
        Assert.Equal(live.Overall.TotalMs.P99Ms, overall.GetProperty("total_ms").GetProperty("p99_ms").GetDouble(), 3);
        Assert.Equal(live.Overall.TtfbMs.P50Ms, overall.GetProperty("ttfb_ms").GetProperty("p50_ms").GetDouble(), 3);
        Assert.Equal(live.Operations.Count, doc.RootElement.GetProperty("operations").GetArrayLength());

        string[] csv = File.ReadAllLines(Path.Combine(outDir, ReportFiles.OperationsCsv));
        Assert.Equal(201, csv.Length);
        Assert.Equal(string.Join(',', ReportFiles.OperationColumns), csv[0]);
        string[] agg = File.ReadAllLines(Path.Combine(outDir, ReportFiles.AggregatedCsv));
        Assert.Equal(ReportFiles.AggregatedColumns.Length, agg[0].Split(',').Length);
        Assert.All(agg.Skip(1), row => Assert.Equal(ReportFiles.AggregatedColumns.Length, row.Split(',').Length));
        Assert.StartsWith("overall,", agg[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ScreenShowsPartNumbersLikeTheLegacyTool()
    {
        var table = new ScreenTable();
        table.Add("aws", 1, "UploadPart", 3, 200, 5_242_880, 0, 456_200_000);
        table.Add("aws", 1, "GetObject", null, 200, 0, 100, 45_000_000);
        table.Add("aws", 1, "GetObject", null, 404, 0, 100, 55_000_000);
        string text = table.TakeInterval(new DateTime(2025, 1, 1, 14, 30, 15), tableFormat: true);
        string[] rows = text.TrimEnd('\n').Split('\n');
        Assert.Equal(2, rows.Length);
        Assert.Matches(@"^14:30:15 aws\s+1\s+GetObject\s+2\s+50\.0\s+45\.0\s+55\.0\s+5\d\.\d\s+1\s+0\s+200$", rows[0]);
        Assert.Contains("UploadPart(3)", rows[1], StringComparison.Ordinal);
        Assert.Equal("", table.TakeInterval(DateTime.Now, true));
        Assert.StartsWith("TIME     COMM", ScreenTable.Header, StringComparison.Ordinal);
    }

    private static string Scrape(Prometheus.CollectorRegistry registry)
    {
        using var s = new MemoryStream();
        registry.CollectAndExportAsTextAsync(s).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(s.ToArray());
    }
}
