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
        Console.WriteLine($"ingest --profile: aggregator stages in-process, one thread, best of {StageTimer.Samples} samples of {StageTimer.Rounds} rounds × {perRound:N0} synthetic events (after a warm-up)");

        var bodies = frames.Select(f => { _ = FrameCodec.ReadType(f, out var body); return body; }).ToArray();
        var decoder = new EventBatchDecoder();
        var scrubbing = new ScrubbingClassifier(classifier, NullLogger.Instance);
        var chunk = new CountedEvent[256];
        var countingOptions = new ProcessingOptions(0, false, false, KeyRedaction.None, []);
        var recorder = new BatchRecorder(countingOptions, scrubbing, stats, metrics, null);
        var scratch = new FrameScratch();
        var rows = new List<StageRow>(StageTimer.MeasureAll(perRound,
        [
            ("read events, 256 at a time (ReadCountedEvents)", () => ForEachChunk(bodies, decoder, chunk)),
            ("+ scrub, classify, record = connection path", () =>
            {
                foreach (var body in bodies)
                {
                    recorder.Record(scratch, hello, decoder, body.Span, decoder.Open(body.Span), 0);
                }
            }),
            ("+ Prometheus deltas applied (one scrape per round)", () =>
            {
                foreach (var body in bodies)
                {
                    recorder.Record(scratch, hello, decoder, body.Span, decoder.Open(body.Span), 0);
                }

                recorder.ApplyMetrics();
            }),
        ]));

        using var directory = new TempDirectory("s3sb-prof-");
        {
            var options = new ProcessingOptions(0, true, false, KeyRedaction.None, []);
            using var operations = new OperationsLog(directory.Path, NullLogger.Instance);
            using var processor = new EventProcessor(options, classifier, new StatsStore(), new RequestMetrics(Prometheus.Metrics.NewCustomRegistry(), 10_000, TimeSpan.FromMinutes(5)),
                new SelfMetrics(Prometheus.Metrics.NewCustomRegistry()), null, operations, NullLogger.Instance);
            ulong sequence = 0;
            rows.Add(StageTimer.Measure("jsonl driver: classify + record + render + append (loop)", perRound, () =>
            {
                foreach (var events in decoded)
                {
                    processor.Process(new IngestBatch(hello, sequence, events, null));
                    sequence += (ulong)events.Count;
                }
            }));
        }

        StageTimer.Print(rows, "event");
        Console.WriteLine("  (CPU ns = this thread's CLOCK_THREAD_CPUTIME; GC work done on other threads is not in it; each of the first three rows adds stages to the row above it)");
        double whole = rows[2].CpuNs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ceiling, prometheus only: {1e9 / whole:N0} events/s per core; connections record in parallel, so about {2e9 / whole:N0} events/s on 2 cores before socket reads, scrapes and GC"));
        return 0;
    }

    private static ReadOnlyMemory<byte> PayloadOf(PreEncodedBatch batch) => batch.WithSequence(0)[ProtocolConstants.LengthPrefixSize..];

    private static void ForEachChunk(ReadOnlyMemory<byte>[] bodies, EventBatchDecoder decoder, CountedEvent[] chunk)
    {
        foreach (var body in bodies)
        {
            var header = decoder.Open(body.Span);
            int offset = header.EventsOffset;
            for (int left = header.Count; left > 0; left -= chunk.Length)
            {
                int n = Math.Min(chunk.Length, left);
                decoder.ReadCountedEvents(body.Span, ref offset, chunk.AsSpan(0, n));
            }
        }
    }
}
