using System.Diagnostics;
using S3Slower.Tests.Servers;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// Three minutes of steady load through the real pipeline — wrk as the traced client, the eBPF collector, the
/// aggregator with /metrics scraped — with the RSS of both halves sampled every few seconds: memory must be flat, and
/// every request wrk completed must be in operations.jsonl once.
/// </summary>
/// <remarks>
/// The bound. Everything either half keeps is bounded by design (fixed-size histograms per series, a series cap, one
/// reused render buffer, acks that release the collector's spool, connection state that ends with each request), so
/// after warm-up RSS only moves with the GC's sawtooth. We compare the highest RSS of the last minute with the highest
/// of the first minute after a 30 s warm-up (by then the collector has touched all of its ring buffer mapping), and
/// allow 25 %: at ~2,000 requests/s, 90 s separate the two windows' ends, i.e. ~180,000 requests, so a leak of as
/// little as ~150 bytes per request (25 % of a ~100 MiB process) fails the test, while GC heap resizing of a healthy
/// process stays well inside it. The windows' maxima, not single samples, absorb the sawtooth's phase.
/// </remarks>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const double AllowedGrowth = 1.25;
    private const double MinimumRate = 1000;
    private static readonly TimeSpan Length = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SteadyLoad_RssOfBothHalvesStaysFlat_NothingLost()
    {
        FaultEnvironment.RequireRoot("the collector loads eBPF programs");
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-soak-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            using var server = new EchoHttpServer();
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            await using var collector = ChildProcess.Start(FaultEnvironment.CollectorExecutable, ["--socket", socket, "--comm", "wrk"]);
            Assert.True(await collector.WaitForStderrAsync("connected to the aggregator", TimeSpan.FromSeconds(60)), "collector did not connect\n" + collector.Diagnostics());

            // 6 connections pausing 2 ms between requests: about 2,000 requests/s here.
            var wrk = new WrkLoad(dir, "soak" + Guid.NewGuid().ToString("N")[..8]);
            using var stop = new CancellationTokenSource();
            var watch = Stopwatch.StartNew();
            var load = wrk.RunAsync(server.Port, seconds: (int)Length.TotalSeconds, connections: 6, pauseMs: 2);
            var scrapes = ScrapeAsync(aggregator, stop.Token);
            var samples = new List<(double Seconds, long Aggregator, long Collector)>();
            while (!load.IsCompleted)
            {
                long? aggregatorRss = FaultEnvironment.RssKiB(aggregator.Pid);
                long? collectorRss = FaultEnvironment.RssKiB(collector.Pid);
                Assert.True(aggregatorRss is not null, "the aggregator died during the soak\n" + aggregator.Diagnostics());
                Assert.True(collectorRss is not null, "the collector died during the soak\n" + collector.Diagnostics());
                samples.Add((watch.Elapsed.TotalSeconds, aggregatorRss.Value, collectorRss.Value));
                await Task.WhenAny(load, Task.Delay(SampleEvery));
            }

            await load;
            double seconds = watch.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            int scraped = await scrapes;
            var completed = wrk.CompletedKeys();
            LogAudit audit = await LogAudit.SettleAsync(aggregator.OperationsLogPath, completed);

            double end = samples[^1].Seconds;
            var first = samples.Where(s => s.Seconds >= WarmUp.TotalSeconds && s.Seconds < WarmUp.TotalSeconds + 60).ToList();
            var last = samples.Where(s => s.Seconds >= end - 60).ToList();
            long aggregatorFirst = first.Max(s => s.Aggregator), aggregatorLast = last.Max(s => s.Aggregator);
            long collectorFirst = first.Max(s => s.Collector), collectorLast = last.Max(s => s.Collector);
            string series = string.Join(' ', samples.Select(s => $"{s.Seconds:F0}s:{s.Aggregator / 1024}M/{s.Collector / 1024}M"));
            var (missing, duplicated, detail) = audit.Check(completed);
            output.WriteLine($"{completed.Count} requests in {seconds:F0} s = {completed.Count / seconds:F0}/s, {scraped} scrapes; RSS max first minute after warm-up → last minute: "
                + $"aggregator {aggregatorFirst / 1024} → {aggregatorLast / 1024} MiB ({100.0 * aggregatorLast / aggregatorFirst - 100:F1} %), "
                + $"collector {collectorFirst / 1024} → {collectorLast / 1024} MiB ({100.0 * collectorLast / collectorFirst - 100:F1} %); {detail}\n(aggregator/collector) {series}");

            Assert.True(first.Count >= 10 && last.Count >= 10, "too few RSS samples");
            Assert.True(aggregatorLast <= aggregatorFirst * AllowedGrowth,
                $"aggregator RSS grew from {aggregatorFirst} KiB to {aggregatorLast} KiB (> {AllowedGrowth:P0} of the first minute's max)\n{series}");
            Assert.True(collectorLast <= collectorFirst * AllowedGrowth,
                $"collector RSS grew from {collectorFirst} KiB to {collectorLast} KiB (> {AllowedGrowth:P0} of the first minute's max)\n{series}");
            Assert.True(completed.Count / seconds >= MinimumRate, $"the load ran at {completed.Count / seconds:F0}/s, below {MinimumRate}/s\n{wrk.Output}");
            Assert.True(missing == 0 && duplicated == 0 && audit.SequenceDuplicates == 0, detail + "\n" + collector.Diagnostics());
            Assert.Equal(0, FaultAggregator.Sum(await aggregator.MetricsAsync(), "s3slower_events_lost_total"));
        }
        finally
        {
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    private static async Task<int> ScrapeAsync(FaultAggregator aggregator, CancellationToken cancellationToken)
    {
        int scraped = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string metrics = await aggregator.MetricsAsync();
            Assert.Contains("s3slower_requests_total", metrics, StringComparison.Ordinal);
            scraped++;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return scraped;
    }
}
