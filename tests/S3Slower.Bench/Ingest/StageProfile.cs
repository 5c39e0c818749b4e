using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Processing;
using S3Slower.Aggregator.Statistics;
using S3Slower.Bench.Infrastructure;
using S3Slower.Shared.Configuration;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ingest;

/// <summary>
/// <c>ingest --profile</c>: where an aggregator spends its time per event, stage by stage, measured in this process on
/// one thread with the aggregator's own types (the same code the process runs), after a warm-up so tiered JIT is done.
/// CPU time per event here is what bounds the ingest rate: 1 / (sum of the stages) is the ceiling of one core.
/// </summary>
internal static class StageProfile
{
    private const int Rounds = 12;

    public static int Run()
    {
        long baseNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 600_000) * 1_000_000;
        var batches = Enumerable.Range(1, 8).Select(seed => SyntheticEvents.Create(ProtocolConstants.MaxEventsPerBatch, seed, baseNs)).ToArray();
        var frames = batches.Select(b => PayloadOf(PreEncodedBatch.Create(b))).ToArray();
        var decoded = frames.Select(f => { _ = FrameCodec.ReadType(f, out var body); return FrameCodec.ReadBody<EventBatch>(body).Events; }).ToArray();
        int perRound = batches.Sum(b => b.Length);
        var hello = new Hello(ProtocolConstants.Version, "profile", "bench-host", "boot", 1, 0);
        var classifier = new S3Classifier();
        var stats = new StatsStore();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new RequestMetrics(registry, 10_000, TimeSpan.FromMinutes(5));
        var now = DateTime.UtcNow;
        Console.WriteLine($"ingest --profile: aggregator stages in-process, one thread, {Rounds} rounds × {perRound:N0} synthetic events (after a warm-up)");

        var rows = new List<Row>
        {
            Measure("decode frame (FrameCodec.ReadBody<EventBatch>)", perRound, () =>
            {
                foreach (var f in frames)
                {
                    _ = FrameCodec.ReadType(f, out var body);
                    _ = FrameCodec.ReadBody<EventBatch>(body);
                }
            }),
            Measure("scrub target + headers (CredentialScrubber)", perRound, () => ForEach(decoded, e =>
            {
                _ = CredentialScrubber.ScrubTarget(e.Target);
                _ = CredentialScrubber.ScrubHeaders(e.Headers);
            })),
            Measure("classify (S3Classifier.Classify)", perRound, () => ForEach(decoded, e => _ = classifier.Classify(e.Method, e.Target, e.Host, e.Headers))),
            Measure("statistics (StatsStore.Record)", perRound, () => ForEach(decoded, e =>
            {
                var key = new StatsKey("bench-host", e.Comm, "GetObject", e.Method, StatsKey.ClassOf(e.Status), null);
                stats.Record(key, e.Status, e.RequestBodyBytes, e.ResponseBodyBytes, RequestTiming.From(e));
            })),
            Measure("prometheus (RequestMetrics.Record)", perRound, () => ForEach(decoded, e =>
                metrics.Record("bench-host", e.Comm, e.Pid, "GetObject", e.Method, e.Status, e.ErrorCode, false, e.RequestBodyBytes, e.ResponseBodyBytes, RequestTiming.From(e), now))),
        };

        using var directory = new TempDirectory("s3sb-prof-");
        foreach (bool log in new[] { false, true })
        {
            var options = new ProcessingOptions(0, log, false, KeyRedaction.None, []);
            using var operations = new OperationsLog(directory.Path, NullLogger.Instance);
            using var processor = new EventProcessor(options, classifier, new StatsStore(), new RequestMetrics(Prometheus.Metrics.NewCustomRegistry(), 10_000, TimeSpan.FromMinutes(5)),
                new SelfMetrics(Prometheus.Metrics.NewCustomRegistry()), null, operations, NullLogger.Instance);
            ulong sequence = 0;
            rows.Add(Measure(log ? "EventProcessor.Process, jsonl driver (whole loop)" : "EventProcessor.Process, prometheus only (whole loop)", perRound, () =>
            {
                foreach (var events in decoded)
                {
                    processor.Process(new IngestBatch(hello, sequence, events, null));
                    sequence += (ulong)events.Count;
                }
            }));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"stage",-54} {"CPU ns/event",12} {"wall ns/event",13} {"bytes alloc/event",17} {"gen0 GCs",8}"));
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {row.Name,-54} {row.CpuNs,12:N0} {row.WallNs,13:N0} {row.Bytes,17:N0} {row.Gen0,8}"));
        }

        Console.WriteLine("  (CPU ns = this thread's CLOCK_THREAD_CPUTIME; GC work done on other threads is not in it; stages overlap: the whole loop includes scrub, classify, statistics, Prometheus)");
        double decode = rows[0].CpuNs;
        double loop = rows[^2].CpuNs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ceiling on 2 cores, prometheus only: decode {1e9 / decode:N0} events/s per core, aggregation loop (single thread) {1e9 / loop:N0} events/s"));
        return 0;
    }

    private sealed record Row(string Name, double CpuNs, double WallNs, double Bytes, int Gen0);

    private static ReadOnlyMemory<byte> PayloadOf(PreEncodedBatch batch) => batch.WithSequence(0)[ProtocolConstants.LengthPrefixSize..];

    private static void ForEach(IReadOnlyList<RequestEvent>[] batches, Action<RequestEvent> action)
    {
        foreach (var events in batches)
        {
            for (int i = 0; i < events.Count; i++)
            {
                action(events[i]);
            }
        }
    }

    private static Row Measure(string name, int eventsPerRound, Action round)
    {
        for (int i = 0; i < 4; i++)
        {
            round(); // warm-up: tier-1 JIT, caches, metric children created
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int gen0 = GC.CollectionCount(0);
        long cpu = ThreadCpuClock.NowNs();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Rounds; i++)
        {
            round();
        }

        double events = (double)eventsPerRound * Rounds;
        return new Row(name, (ThreadCpuClock.NowNs() - cpu) / events, watch.Elapsed.TotalNanoseconds / events,
            (GC.GetAllocatedBytesForCurrentThread() - allocated) / events, GC.CollectionCount(0) - gen0);
    }
}
