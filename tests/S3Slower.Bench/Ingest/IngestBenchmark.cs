using System.Diagnostics;
using System.Globalization;
using S3Slower.Bench.Infrastructure;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ingest;

/// <summary>
/// N synthetic collectors → one real aggregator over its Unix socket, /metrics scraped every second; the rate is
/// events divided by the time until the aggregator has acknowledged (stored) the last event.
/// </summary>
internal static class IngestBenchmark
{
    public const double TargetEventsPerSecond = 2_000_000;

    // Scrapes before this are left out of the "once warm" rate: start-up, connections, the first frames compiled.
    private const double SteadyAfterSeconds = 2.0;

    // Distinct pre-encoded batches per collector: enough variety for the statistics, small enough to stay in cache-ish memory.
    private const int BatchesPerCollector = 4;

    public static async Task<int> RunAsync(IngestOptions options, CancellationToken cancellationToken)
    {
        Console.WriteLine($"ingest: {options.Collectors} synthetic collectors → 1 aggregator, {options.Events:N0} events, frames of {ProtocolConstants.MaxEventsPerBatch} events (MessagePack, pre-encoded once), /metrics scraped every 1 s");
        var perCollector = Split(options.Events, options.Collectors);
        var prepared = Prepare(perCollector);

        using var directory = new TempDirectory("s3sb-");
        await using var aggregator = await AggregatorHost.StartAsync(directory, options.PerfMap);
        var collectors = new List<SyntheticCollector>();
        try
        {
            for (int i = 0; i < options.Collectors; i++)
            {
                collectors.Add(await SyntheticCollector.ConnectAsync(aggregator.SocketPath, i, prepared[i].Batches, prepared[i].Tail, perCollector[i], cancellationToken));
            }

            return await MeasureAsync(options, aggregator, collectors, cancellationToken);
        }
        finally
        {
            foreach (var collector in collectors)
            {
                collector.Dispose();
            }
        }
    }

    private static async Task<int> MeasureAsync(IngestOptions options, AggregatorHost aggregator, List<SyntheticCollector> collectors, CancellationToken cancellationToken)
    {
        using var stopScraping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var cpuBefore = ProcessCpu.Used(aggregator.Process.Pid);
        var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var scraping = ScrapeEverySecondAsync(aggregator.Scraper, watch, stopScraping.Token);

        using var start = new Barrier(collectors.Count);
        var senders = collectors.Select(c => new Thread(() =>
        {
            start.SignalAndWait();
            c.SendAll();
        })
        { IsBackground = true, Name = "synthetic-collector" }).ToList();
        watch.Restart();
        senders.ForEach(t => t.Start());
        senders.ForEach(t => t.Join());
        var sent = watch.Elapsed;

        var allowed = TimeSpan.FromSeconds(60 + options.Events / 50_000.0);
        bool[] acked = await Task.WhenAll(collectors.Select(c => c.WaitAckedAsync(allowed)));
        var stored = watch.Elapsed;
        var cpuAfter = ProcessCpu.Used(aggregator.Process.Pid);
        var benchCpu = Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore;
        await stopScraping.CancelAsync();
        var samples = await scraping;

        long total = collectors.Sum(c => c.Events);
        long ackedTotal = collectors.Sum(c => c.Acked);
        var (received, requests) = await FinalCountsAsync(aggregator.Scraper, total, cancellationToken);

        double rate = total / stored.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"  sent:    {total:N0} events written to the socket in {sent.TotalSeconds:0.000} s ({total / sent.TotalSeconds:N0} events/s)");
        Console.WriteLine($"  stored:  {ackedTotal:N0} events acknowledged by the aggregator after {stored.TotalSeconds:0.000} s");
        Console.WriteLine($"  RESULT:  {rate:N0} events/s end to end (first byte sent → last ack) — target ≥ {TargetEventsPerSecond:N0}: {(rate >= TargetEventsPerSecond ? "MET" : "NOT MET")}");
        Console.WriteLine($"  once warm: {SteadyRate(samples)}");
        if (cpuBefore is { } b && cpuAfter is { } a)
        {
            Console.WriteLine($"  aggregator CPU: {(a - b).TotalSeconds:0.00} s over {stored.TotalSeconds:0.00} s wall = {(a - b) / stored:0.00} cores; {((a - b).TotalMilliseconds * 1e6 / total):N0} ns CPU per event");
        }

        Console.WriteLine($"  bench (synthetic collectors + scraper) CPU: {benchCpu.TotalSeconds:0.00} s = {benchCpu / stored:0.00} cores");
        Console.WriteLine($"  load average at the end: {MachineInfo.LoadAverage()}");
        Console.WriteLine($"  /metrics: {aggregator.Scraper.Scrapes} scrapes, slowest {aggregator.Scraper.Slowest.TotalMilliseconds:0} ms, {aggregator.Scraper.Failures} failed");
        Console.WriteLine($"  aggregator counted: s3slower_events_received_total = {Format(received)}, sum(s3slower_requests_total) = {Format(requests)}; sent {total:N0}");

        bool ok = acked.All(x => x) && received == total && requests == total;
        Console.WriteLine(ok ? "  counts: OK (every event sent was counted once)" : "  counts: MISMATCH");
        if (!ok)
        {
            Console.Error.WriteLine($"aggregator log tail:\n{aggregator.Process.Tail()}");
        }

        return ok ? 0 : 1;
    }

    private static string Format(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "(absent)";

    /// <summary>The counters can trail the ack by a moment (metrics are updated by the aggregation loop); poll briefly.</summary>
    private static async Task<(double? Received, double? Requests)> FinalCountsAsync(MetricsScraper scraper, long expected, CancellationToken cancellationToken)
    {
        double? received = null;
        double? requests = null;
        for (int attempt = 0; attempt < 25; attempt++)
        {
            if (await scraper.TryScrapeAsync(cancellationToken) is { } text)
            {
                received = PrometheusText.Sum(text, "s3slower_events_received_total");
                requests = PrometheusText.Sum(text, "s3slower_requests_total");
                if (received == expected && requests == expected)
                {
                    break;
                }
            }

            await Task.Delay(200, cancellationToken);
        }

        return (received, requests);
    }

    private static async Task<List<(double Time, double Received)>> ScrapeEverySecondAsync(MetricsScraper scraper, Stopwatch watch, CancellationToken cancellationToken)
    {
        var samples = new List<(double Time, double Received)>();
        double last = 0;
        double lastTime = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await scraper.TryScrapeAsync(cancellationToken) is { } text && PrometheusText.Sum(text, "s3slower_events_received_total") is { } received)
                {
                    double now = watch.Elapsed.TotalSeconds;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  t={now,6:0.0}s  received {received,14:N0}  ({(received - last) / (now - lastTime),12:N0} events/s)"));
                    samples.Add((now, received));
                    last = received;
                    lastTime = now;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return samples;
    }

    // The rate between the first scrape after the warm-up and the last one: what a long-running aggregator sustains,
    // without the start (connections, first frames compiled) that the end-to-end figure includes.
    private static string SteadyRate(List<(double Time, double Received)> samples)
    {
        int first = samples.FindIndex(x => x.Time >= SteadyAfterSeconds);
        if (first < 0 || samples.Count - first < 2)
        {
            return "too short a run to tell (needs scrapes past t=" + SteadyAfterSeconds.ToString(CultureInfo.InvariantCulture) + " s)";
        }

        var (fromTime, fromCount) = samples[first];
        var (toTime, toCount) = samples[^1];
        return string.Create(CultureInfo.InvariantCulture, $"{(toCount - fromCount) / (toTime - fromTime):N0} events/s (scrapes t={fromTime:0.0}s → {toTime:0.0}s)");
    }

    private static long[] Split(long events, int collectors)
    {
        var share = new long[collectors];
        for (int i = 0; i < collectors; i++)
        {
            share[i] = events / collectors + (i < events % collectors ? 1 : 0);
        }

        return share;
    }

    private static (PreEncodedBatch[] Batches, PreEncodedBatch? Tail)[] Prepare(long[] perCollector)
    {
        long baseNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 600_000) * 1_000_000;
        var watch = Stopwatch.StartNew();
        var result = new (PreEncodedBatch[], PreEncodedBatch?)[perCollector.Length];
        long bytes = 0;
        for (int c = 0; c < perCollector.Length; c++)
        {
            var batches = new PreEncodedBatch[BatchesPerCollector];
            for (int b = 0; b < batches.Length; b++)
            {
                batches[b] = PreEncodedBatch.Create(SyntheticEvents.Create(ProtocolConstants.MaxEventsPerBatch, (c * BatchesPerCollector) + b + 1, baseNs));
                bytes += batches[b].Length;
            }

            int tail = (int)(perCollector[c] % ProtocolConstants.MaxEventsPerBatch);
            result[c] = (batches, tail == 0 ? null : PreEncodedBatch.Create(SyntheticEvents.Create(tail, 1000 + c, baseNs)));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  pre-encoded {perCollector.Length * BatchesPerCollector} distinct batches in {watch.ElapsedMilliseconds} ms, {bytes / (double)(perCollector.Length * BatchesPerCollector * ProtocolConstants.MaxEventsPerBatch):0} bytes/event on the wire"));
        return result;
    }
}
