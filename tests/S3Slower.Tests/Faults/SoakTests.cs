using System.Diagnostics;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// Three minutes of steady load with /metrics scraped, RSS of the aggregator (and of this process, which runs the
/// collector's transport) sampled every few seconds: memory must be flat, and nothing lost.
/// </summary>
/// <remarks>
/// The bound. Everything the aggregator keeps is bounded by design (fixed-size histograms per series, a series cap,
/// one reused render buffer, acks that release the collector's spool), so after warm-up RSS only moves with the GC's
/// sawtooth. We compare the highest RSS of the last minute with the highest of the first minute after a 30 s
/// warm-up, and allow 25 %: at 2,000 events/s, 90 s separate the two windows' ends, i.e. 180,000 events, so a leak of
/// as little as ~150 bytes per event (25 % of a ~100 MiB process) fails the test, while GC heap resizing of a healthy
/// process stays well inside it. The windows' maxima, not single samples, absorb the sawtooth's phase.
/// </remarks>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const double Rate = 2000;
    private const double AllowedGrowth = 1.25;
    private static readonly TimeSpan Length = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SteadyLoad_RssStaysFlat_NothingLost()
    {
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-soak-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            await using var collector = new SyntheticCollector(socket, "soak" + Guid.NewGuid().ToString("N")[..8]);
            Assert.True(await FaultEnvironment.WaitUntilAsync(() => collector.Client.Connected, TimeSpan.FromSeconds(10)), collector.Log);

            using var stop = new CancellationTokenSource();
            var load = collector.GenerateAsync(Rate, Length, stop.Token);
            var scrapes = ScrapeAsync(aggregator, stop.Token);
            var samples = new List<(double Seconds, long Aggregator, long Self)>();
            var watch = Stopwatch.StartNew();
            while (!load.IsCompleted)
            {
                long? rss = FaultEnvironment.RssKiB(aggregator.Pid);
                Assert.True(rss is not null, "the aggregator died during the soak\n" + aggregator.Diagnostics());
                samples.Add((watch.Elapsed.TotalSeconds, rss.Value, FaultEnvironment.RssKiB(Environment.ProcessId) ?? 0));
                await Task.WhenAny(load, Task.Delay(SampleEvery));
            }

            double achieved = await load;
            await stop.CancelAsync();
            int scraped = await scrapes;
            Assert.True(await collector.Client.DrainAsync(TimeSpan.FromSeconds(30)), $"{collector.Spool.Pending} events never acknowledged");

            double end = samples[^1].Seconds;
            var first = samples.Where(s => s.Seconds >= WarmUp.TotalSeconds && s.Seconds < WarmUp.TotalSeconds + 60).ToList();
            var last = samples.Where(s => s.Seconds >= end - 60).ToList();
            long firstMax = first.Max(s => s.Aggregator);
            long lastMax = last.Max(s => s.Aggregator);
            long selfFirstMax = first.Max(s => s.Self);
            long selfLastMax = last.Max(s => s.Self);
            string series = string.Join(' ', samples.Select(s => $"{s.Seconds:F0}s:{s.Aggregator / 1024}M"));
            output.WriteLine($"{collector.Generated} events at {achieved:F0}/s, {scraped} scrapes; aggregator RSS max first minute after warm-up {firstMax / 1024} MiB, "
                + $"last minute {lastMax / 1024} MiB ({100.0 * lastMax / firstMax - 100:F1} %); test process (collector transport) {selfFirstMax / 1024} → {selfLastMax / 1024} MiB\n{series}");

            Assert.True(first.Count >= 10 && last.Count >= 10, "too few RSS samples");
            Assert.True(lastMax <= firstMax * AllowedGrowth,
                $"aggregator RSS grew from {firstMax} KiB to {lastMax} KiB (> {AllowedGrowth:P0} of the first minute's max)\n{series}");
            Assert.True(achieved >= Rate * 0.9, $"the load ran at {achieved:F0}/s instead of {Rate}/s");

            string metrics = await aggregator.MetricsAsync();
            Assert.Equal(collector.Generated, (long)FaultAggregator.Sum(metrics, "s3slower_requests_total"));
            Assert.Equal(0, FaultAggregator.Sum(metrics, "s3slower_events_lost_total"));
            Assert.Equal(0UL, collector.Spool.Dropped);
            var audit = LogAudit.Read(aggregator.OperationsLogPath);
            Assert.Equal(collector.Generated, audit.Records.Count);
            Assert.Equal(0, audit.SequenceDuplicates);
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
