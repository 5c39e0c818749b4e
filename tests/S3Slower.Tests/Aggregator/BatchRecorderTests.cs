using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Processing;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Configuration;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Aggregator;

/// <summary>Connections count into per-core shards; what they counted must reach every reader, whatever their order.</summary>
public sealed class BatchRecorderTests
{
    private readonly Prometheus.CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly StatsStore _stats = new();
    private readonly BatchRecorder _recorder;

    public BatchRecorderTests()
    {
        var options = new ProcessingOptions(0, WriteLog: false, BucketLabels: false, KeyRedaction.None, []);
        _recorder = new BatchRecorder(options, new ScrubbingClassifier(new S3Classifier(), NullLogger.Instance), _stats,
            new RequestMetrics(_registry, 100, TimeSpan.FromMinutes(5)), screen: null);
    }

    [Fact]
    public async Task ShardsAreMergedForReportsAndAppliedOnceForScrapesWhicheverCoreCountedThem()
    {
        var first = new FrameScratch();
        var second = new FrameScratch();
        Record(first, 0, Enumerable.Range(0, 300).Select(i => TestEvents.Put("b", "k" + i, 5)).ToArray());
        Record(second, 0, Enumerable.Range(0, 200).Select(i => TestEvents.Put("b", "k" + i, 5, status: 503)).ToArray());

        Assert.Equal(500, _stats.Snapshot().Sum(g => g.Value.Count));
        Assert.Equal(500, RequestsTotal(await ScrapeAsync()));

        // Counted after the scrape, from another thread (another core, or the same): the next scrape and report see it.
        await Task.Run(() => Record(first, 300, [TestEvents.Get("b", "late", 5)]));
        Assert.Equal(501, RequestsTotal(await ScrapeAsync()));
        Assert.Equal(501, _stats.Snapshot().Sum(g => g.Value.Count));
        Assert.Equal(200, _stats.Snapshot().Sum(g => g.Value.ServerErrors));

        // A scrape applies each delta once.
        Assert.Equal(501, RequestsTotal(await ScrapeAsync()));
        Assert.Equal(501, _recorder.EventsRecorded);
    }

    [Fact]
    public async Task ConnectionsRecordingAtOnceWhileScrapedLoseAndRepeatNothing()
    {
        // More writers than cores, each with its own decoder and scratch as a connection has, while scrapes and
        // reports read the shards: every frame lands in some core's shard, none twice, whichever lock was free.
        const int Writers = 6, Frames = 40, PerFrame = 250;
        byte[][] bodies = [.. Enumerable.Range(0, Writers).Select(w => BodyOf(0, Enumerable.Range(0, PerFrame)
            .Select(i => TestEvents.Put("b", $"k{i}", 5, status: i % 10 == 0 ? 404 : 200, pid: 100 + w, comm: "c" + (w % 3))).ToArray()))];
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                _ = await ScrapeAsync();
                _ = _stats.Snapshot();
            }
        });
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            var scratch = new FrameScratch();
            var decoder = new EventBatchDecoder();
            for (int f = 0; f < Frames; f++)
            {
                _recorder.Record(scratch, TestEvents.Collector, decoder, bodies[w], decoder.Open(bodies[w]), 0);
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        const int Total = Writers * Frames * PerFrame;
        Assert.Equal(Total, _recorder.EventsRecorded);
        Assert.Equal(Total, _stats.Snapshot().Sum(g => g.Value.Count));
        Assert.Equal(Total / 10, _stats.Snapshot().Sum(g => g.Value.ClientErrors));
        Assert.Equal(Total, RequestsTotal(await ScrapeAsync()));
        Assert.Equal(Total, RequestsTotal(await ScrapeAsync()));
    }

    [Fact]
    public void AFrameThatFailsHalfWayCountsNothing()
    {
        var scratch = new FrameScratch();
        var events = Enumerable.Range(0, 600).Select(i => TestEvents.Put("b", "k" + i, 5)).ToArray();
        events[599] = events[599] with { Method = null! };
        byte[] body = BodyOf(0, events);
        var decoder = new EventBatchDecoder();

        Assert.Throws<ProtocolException>(() => _recorder.Record(scratch, TestEvents.Collector, decoder, body, decoder.Open(body), 0));

        Assert.Equal(0, _stats.Snapshot().Sum(g => g.Value.Count));
        Assert.Equal(0, _recorder.EventsRecorded);
    }

    [Fact]
    public void CountingAFrameAllocatesNothingOnceItsStringsAreKnown()
    {
        // Keys, part numbers, list queries with escapes and headers all vary per request; none of it may be built.
        var events = Enumerable.Range(0, 1000).Select(i => (i % 4) switch
        {
            0 => TestEvents.Put("b", "dir/k" + i, 5) with { Headers = new Dictionary<string, string> { ["content-length"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            1 => TestEvents.Get("b", "k" + i, 5) with { Target = $"/b?list-type=2&prefix=p%2F{i}&continuation-token=t{i}" },
            2 => TestEvents.Put("b", "k" + i, 5) with { Target = $"/b/k?partNumber={i}&uploadId=u{i}" },
            _ => TestEvents.Get("b", "k" + i, 5) with { Status = 404, ErrorCode = "NoSuchKey" },
        }).ToArray();
        byte[] body = BodyOf(0, events);
        var scratch = new FrameScratch();
        var decoder = new EventBatchDecoder();
        _recorder.Record(scratch, TestEvents.Collector, decoder, body, decoder.Open(body), 0);

        // Each core has its own shard, whose routes are built the first time a frame is counted on that core: a pass
        // that lands on a core not used before allocates them once. With one pass more than there are cores, at
        // least one pass counts on a core whose shard already knows these routes, and that one must allocate nothing.
        int passes = Environment.ProcessorCount + 1;
        var allocated = new List<long>();
        for (int pass = 0; pass < passes; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            _recorder.Record(scratch, TestEvents.Collector, decoder, body, decoder.Open(body), 0);
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(allocated.Min() < 1000, $"{string.Join(", ", allocated)} bytes per pass of 1,000 events");
        Assert.Equal((passes + 1) * 1000, _stats.Snapshot().Sum(g => g.Value.Count));
        Assert.Equal(["GetObject", "ListObjectsV2", "PutObject", "UploadPart"], _stats.Snapshot().Select(g => g.Key.Operation).Distinct().Order());
    }

    private void Record(FrameScratch scratch, ulong first, RequestEvent[] events)
    {
        byte[] body = BodyOf(first, events);
        var decoder = new EventBatchDecoder();
        _recorder.Record(scratch, TestEvents.Collector, decoder, body, decoder.Open(body), 0);
    }

    private static byte[] BodyOf(ulong first, RequestEvent[] events)
    {
        byte[] frame = FrameCodec.Encode(FrameType.Events, new EventBatch(first, events));
        _ = FrameCodec.ReadType(frame.AsMemory(ProtocolConstants.LengthPrefixSize), out var body);
        return body.ToArray();
    }

    private async Task<string> ScrapeAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static double RequestsTotal(string exposition) => exposition.Split('\n')
        .Where(l => l.StartsWith("s3slower_requests_total{", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
