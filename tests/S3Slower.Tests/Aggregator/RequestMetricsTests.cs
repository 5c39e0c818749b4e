using System.Diagnostics;
using System.Text;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Aggregator;

public sealed class RequestMetricsTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static async Task<string> ScrapeAsync(Prometheus.CollectorRegistry registry)
    {
        using var s = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(s);
        return Encoding.UTF8.GetString(s.ToArray());
    }

    private static void Record(RequestMetrics m, string comm, int pid, string op, int status, long totalNs, string? code = null, bool part = false) =>
        m.Record("host-a", comm, pid, op, "PUT", status, code, part, 100, 10, RequestTiming.From(0, totalNs / 3, totalNs / 2, totalNs), T0);

    [Fact]
    public async Task ExpositionPassesPromtoolWithLegacyNamesAndLabels()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var self = new SelfMetrics(registry);
        var m = new RequestMetrics(registry, 100, TimeSpan.FromMinutes(5));
        Record(m, "aws", 10, "PutObject", 200, 30_000);
        Record(m, "aws", 10, "UploadPart", 200, 2_000_000_000, part: true);
        Record(m, "we\"ird\\comm\n", 11, "GetObject", 503, 5_000_000, "SlowDown");
        Record(m, "boto", 12, "HeadObject", 404, 500_000);
        self.EventsReceived(4);
        self.FrameRejected("oversized");
        self.PeerRefused();
        self.CollectorConnected();
        self.DuplicatesDropped(2);
        self.CollectorCountersReported(TestEvents.Collector, new CollectorCounters(5, 1, 0, 100));

        string text = await ScrapeAsync(registry);
        var (exit, output) = await Promtool.CheckMetricsAsync(text);
        Assert.True(exit == 0, output + "\n" + text);

        foreach (string name in new[]
        {
            "s3slower_requests_total", "s3slower_request_errors_total", "s3slower_request_bytes_total", "s3slower_response_bytes_total",
            "s3slower_partial_requests_total", "s3slower_request_duration_seconds_bucket", "s3slower_time_to_first_byte_seconds_bucket",
            "s3slower_upload_duration_seconds_bucket", "s3slower_server_wait_seconds_bucket", "s3slower_download_duration_seconds_bucket",
            "s3slower_events_received_total 4", "s3slower_ipc_frames_rejected_total{reason=\"oversized\"} 1", "s3slower_ipc_peers_refused_total 1",
            "s3slower_collectors_connected 1", "s3slower_duplicate_events_total 2",
            "s3slower_events_lost_total{collector=\"host-a\",reason=\"ring_buffer_full\"} 5",
            "s3slower_s3_errors_total{s3_operation=\"GetObject\",error_code=\"SlowDown\"} 1",
            "s3slower_s3_errors_total{s3_operation=\"HeadObject\",error_code=\"404\"} 1",
        })
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }

        Assert.Contains("s3slower_requests_total{hostname=\"host-a\",comm=\"aws\",s3_operation=\"PutObject\",method=\"PUT\",pid=\"10\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("s3slower_partial_requests_total{hostname=\"host-a\",comm=\"aws\",s3_operation=\"UploadPart\",method=\"PUT\",pid=\"10\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BucketsAreExactLogLinearBoundariesFrom25MicrosecondsTo60Seconds()
    {
        Assert.All(LatencyBuckets.BoundsNs, b => Assert.True(LogLinearHistogram.IsBucketBoundary(b), b.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.InRange(LatencyBuckets.BoundsSeconds[0], 20e-6, 30e-6);
        Assert.InRange(LatencyBuckets.BoundsSeconds[^1], 60, 70);
        Assert.True(LatencyBuckets.BoundsNs.Zip(LatencyBuckets.BoundsNs.Skip(1)).All(p => p.Second > p.First && p.Second <= p.First * 2));
    }

    [Fact]
    public async Task DeltasAppliedBeforeAScrapeExportWhatObservingEachRequestWould()
    {
        var random = new Random(11);
        var timings = new List<RequestTiming>();
        foreach (long b in LatencyBuckets.BoundsNs.Take(40))
        {
            timings.Add(RequestTiming.From(0, b / 4, b / 2, b));
            timings.Add(RequestTiming.From(0, 1, b, b + 1));
        }

        timings.AddRange(Enumerable.Range(0, 5000).Select(_ =>
        {
            long total = random.NextInt64(1, 200_000_000_000);
            return RequestTiming.From(0, total / 5, total / 2, total);
        }));

        var direct = Prometheus.Metrics.NewCustomRegistry();
        var directMetrics = new RequestMetrics(direct, 100, TimeSpan.FromMinutes(5));
        var deferred = Prometheus.Metrics.NewCustomRegistry();
        var deferredMetrics = new RequestMetrics(deferred, 100, TimeSpan.FromMinutes(5));
        var delta = new SeriesDelta(deferredMetrics.SeriesFor("host-a", "aws", 10, "GetObject", "GET"));
        deferredMetrics.BeforeScrape(() => deferredMetrics.Apply(delta, T0));
        for (int i = 0; i < timings.Count; i++)
        {
            int status = i % 7 == 0 ? 503 : 200;
            directMetrics.Record("host-a", "aws", 10, "GetObject", "GET", status, "SlowDown", false, i, 2 * i, timings[i], T0);
            delta.Add(status, "SlowDown", false, i, 2 * i, timings[i]);
        }

        string expected = await ScrapeAsync(direct);
        string actual = await ScrapeAsync(deferred);
        Assert.Equal(Lines(expected, "_bucket"), Lines(actual, "_bucket"));
        Assert.Equal(Lines(expected, "_count"), Lines(actual, "_count"));
        Assert.Equal(Lines(expected, "_total{"), Lines(actual, "_total{"));
        var sums = Lines(expected, "_sum").Zip(Lines(actual, "_sum"), (e, a) => (Value(e), Value(a))).ToList();
        Assert.Equal(5, sums.Count);
        Assert.All(sums, s => Assert.Equal(s.Item1, s.Item2, s.Item1 * 1e-9));

        // Applied once: a second scrape with nothing new recorded changes nothing.
        Assert.Equal(actual, await ScrapeAsync(deferred));

        static string[] Lines(string text, string marker) =>
            [.. text.Split('\n').Where(l => !l.StartsWith('#') && l.Contains(marker, StringComparison.Ordinal) && !l.StartsWith("s3slower_series", StringComparison.Ordinal))];

        static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void BucketIndexIsTheBinarySearchOfTheBounds()
    {
        var values = new List<long> { long.MinValue, -1, 0, 1, long.MaxValue };
        foreach (long b in LatencyBuckets.BoundsNs)
        {
            values.AddRange([b - 1, b, b + 1]);
        }

        var random = new Random(7);
        values.AddRange(Enumerable.Range(0, 100_000).Select(_ => random.NextInt64(0, 1L << 38)));
        foreach (long v in values)
        {
            int expected = Array.BinarySearch(LatencyBuckets.BoundsNs, v);
            Assert.Equal(expected < 0 ? ~expected : expected, LatencyBuckets.IndexOf(v));
        }
    }

    [Fact]
    public async Task CollectorLossAdvancesByDifferenceAcrossCollectorRestarts()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var self = new SelfMetrics(registry);
        self.CollectorCountersReported(TestEvents.Collector, new CollectorCounters(5, 0, 0, 10));
        self.CollectorCountersReported(TestEvents.Collector, new CollectorCounters(8, 0, 0, 20));
        // A new collector process on the same host starts its counters at zero again.
        self.CollectorCountersReported(TestEvents.Collector with { CollectorId = "restarted" }, new CollectorCounters(2, 3, 0, 5));
        string text = await ScrapeAsync(registry);
        Assert.Contains("s3slower_events_lost_total{collector=\"host-a\",reason=\"ring_buffer_full\"} 10", text, StringComparison.Ordinal);
        Assert.Contains("s3slower_events_lost_total{collector=\"host-a\",reason=\"spool_dropped\"} 3", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeriesBeyondTheCapFoldIntoOverflow()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var m = new RequestMetrics(registry, maxSeries: 3, TimeSpan.FromMinutes(5));
        for (int pid = 1; pid <= 10; pid++)
        {
            Record(m, "app", pid, "GetObject", 200, 1_000_000);
        }

        Assert.Equal(3, m.SeriesCount);
        string text = await ScrapeAsync(registry);
        Assert.Contains("s3slower_requests_total{hostname=\"host-a\",comm=\"_other\",s3_operation=\"GetObject\",method=\"PUT\",pid=\"_other\"} 7", text, StringComparison.Ordinal);
        Assert.Contains("s3slower_series_overflow_total 7", text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split('\n').Count(l => l.StartsWith("s3slower_requests_total{", StringComparison.Ordinal) && !l.Contains("_other", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SeriesOfExitedProcessesExpire()
    {
        // A real process that has exited: its pid has no /proc entry any more.
        using var exited = Process.Start(new ProcessStartInfo("/bin/true"))!;
        await exited.WaitForExitAsync();
        int gonePid = exited.Id;
        int livePid = Environment.ProcessId;

        var registry = Prometheus.Metrics.NewCustomRegistry();
        var m = new RequestMetrics(registry, 100, TimeSpan.FromMinutes(1));
        Record(m, "short", gonePid, "PutObject", 200, 1_000_000);
        Record(m, "long", livePid, "PutObject", 200, 1_000_000);

        Assert.Equal(0, m.ExpireExitedProcesses(T0 + TimeSpan.FromSeconds(30))); // within the TTL
        Assert.Equal(1, m.ExpireExitedProcesses(T0 + TimeSpan.FromMinutes(2)));
        Assert.Equal(1, m.SeriesCount);
        string text = await ScrapeAsync(registry);
        Assert.DoesNotContain($"pid=\"{gonePid}\"", text, StringComparison.Ordinal);
        Assert.Contains($"pid=\"{livePid}\"", text, StringComparison.Ordinal);
        Assert.Contains("s3slower_series_expired_total 1", text, StringComparison.Ordinal);

        // The process's next request (pid reuse) simply recreates the series.
        Record(m, "short", gonePid, "PutObject", 200, 1_000_000);
        Assert.Equal(2, m.SeriesCount);
    }
}
