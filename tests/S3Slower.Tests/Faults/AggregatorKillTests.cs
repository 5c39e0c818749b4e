using System.Diagnostics;
using S3Slower.Tests.Servers;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// kill -9 of the aggregator under load, down for a while, restarted on the same socket and output directory: every
/// request the client made must be in operations.jsonl exactly once, and nothing reported lost. The target is
/// 30 s down at 5,000 requests/s (150,000 spooled events); these tests keep it down 10 s to stay within CI time —
/// the spool (400,000 events by default) holds either, so 10 s exercises the same path.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class AggregatorKillTests(ITestOutputHelper output)
{
    // The target: an aggregator away for 30 s under 5,000 requests/s loses nothing.
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AggregatorKilledUnderLoad_SyntheticCollectorLosesNothing()
    {
        const double rate = 5000;
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-agg-");
        string socket = Path.Combine(dir, "agg.sock");
        string outDir = Path.Combine(dir, "out");
        int port = FaultEnvironment.FreePort();
        FaultAggregator? aggregator = null;
        try
        {
            aggregator = await FaultAggregator.StartAsync(socket, outDir, port);
            await using var collector = new SyntheticCollector(socket, "synth" + Guid.NewGuid().ToString("N")[..8]);
            Assert.True(await FaultEnvironment.WaitUntilAsync(() => collector.Client.Connected, TimeSpan.FromSeconds(10)), "collector did not connect\n" + collector.Log);

            var load = collector.GenerateAsync(rate, Down + TimeSpan.FromSeconds(12));
            await Task.Delay(TimeSpan.FromSeconds(5));
            long atKill = collector.Generated;
            await aggregator.KillHardAsync();
            var down = Stopwatch.StartNew();
            int peakPending = 0;
            while (down.Elapsed < Down)
            {
                peakPending = Math.Max(peakPending, collector.Spool.Pending);
                await Task.Delay(200);
            }

            string firstRunLog = aggregator.Diagnostics();
            await aggregator.DisposeAsync();
            aggregator = await FaultAggregator.StartAsync(socket, outDir, port);
            double achieved = await load;
            bool drained = await collector.Client.DrainAsync(TimeSpan.FromSeconds(60));
            Assert.True(drained, $"{collector.Spool.Pending} events never acknowledged after the restart\n{collector.Log}\n{aggregator.Diagnostics()}");

            string metrics = await WaitForLossSeriesAsync(aggregator);
            double lost = FaultAggregator.Sum(metrics, "s3slower_events_lost_total");
            double duplicatesDropped = FaultAggregator.Sum(metrics, "s3slower_duplicate_events_total");
            var audit = LogAudit.Read(aggregator.OperationsLogPath);
            long generated = collector.Generated;
            var (missing, duplicated, detail) = audit.Check(Enumerable.Range(0, (int)generated).Select(n => collector.KeyOf(n)));
            output.WriteLine($"rate {achieved:F0}/s, generated {generated}, at kill {atKill}, peak spooled while down {peakPending}, "
                + $"spool dropped {collector.Spool.Dropped}, resent duplicates dropped by the new aggregator {duplicatesDropped}, lost {lost}; {detail}");

            string context = $"\n{detail}\n{collector.Log}\n{firstRunLog}\n{aggregator.Diagnostics()}";
            Assert.True(peakPending >= rate * Down.TotalSeconds * 0.8, $"the aggregator was not really away: only {peakPending} events spooled" + context);
            Assert.Equal(0UL, collector.Spool.Dropped);
            Assert.True(audit.UnreadableLines == 0, $"{audit.UnreadableLines} torn or unreadable lines in operations.jsonl" + context);
            Assert.True(missing == 0 && duplicated == 0 && audit.SequenceDuplicates == 0, "requests lost or duplicated across the restart" + context);
            Assert.Equal(generated, audit.Records.Count);
            Assert.True(lost == 0, $"s3slower_events_lost_total is {lost}" + context);
        }
        finally
        {
            if (aggregator is not null)
            {
                await aggregator.DisposeAsync();
            }

            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    [Fact]
    [Trait("Category", "Pipeline")]
    public async Task AggregatorKilledUnderLoad_RealCollectorLosesNoRequest()
    {
        FaultEnvironment.RequireRoot("the collector loads eBPF programs");
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-aggreal-");
        string socket = Path.Combine(dir, "agg.sock");
        string outDir = Path.Combine(dir, "out");
        int port = FaultEnvironment.FreePort();
        FaultAggregator? aggregator = null;
        try
        {
            using var server = new EchoHttpServer();
            aggregator = await FaultAggregator.StartAsync(socket, outDir, port);
            await using var collector = ChildProcess.Start(FaultEnvironment.CollectorExecutable, ["--socket", socket, "--comm", "wrk"]);
            Assert.True(await collector.WaitForStderrAsync("connected to the aggregator", TimeSpan.FromSeconds(60)), "collector did not connect\n" + collector.Diagnostics());

            // 20 connections pausing 2 ms each aim at ~5,000 requests/s (a loopback round trip with tracing is ~2 ms here);
            // what the machine reaches is measured and reported.
            var wrk = new WrkLoad(dir, "real" + Guid.NewGuid().ToString("N")[..8]);
            var watch = Stopwatch.StartNew();
            var load = wrk.RunAsync(server.Port, seconds: (int)Down.TotalSeconds + 14, connections: 20, pauseMs: 2);
            await Task.Delay(TimeSpan.FromSeconds(6));
            long servedAtKill = server.Served;
            await aggregator.KillHardAsync();
            await Task.Delay(Down);
            long servedWhileDown = server.Served - servedAtKill;
            string firstRunLog = aggregator.Diagnostics();
            await aggregator.DisposeAsync();
            aggregator = await FaultAggregator.StartAsync(socket, outDir, port);
            await load;
            double seconds = watch.Elapsed.TotalSeconds;
            var completed = wrk.CompletedKeys();

            LogAudit audit = await LogAudit.SettleAsync(aggregator.OperationsLogPath, completed);

            string metrics = await WaitForLossSeriesAsync(aggregator);
            double lost = FaultAggregator.Sum(metrics, "s3slower_events_lost_total");
            var (missing, duplicated, detail) = audit.Check(completed);
            int ourRecords = audit.Records.Count(r => r.Key?.StartsWith(wrk.Tag, StringComparison.Ordinal) == true);
            int duplicateKeys = audit.KeyCounts.Count(kv => kv.Value > 1);
            output.WriteLine($"wrk completed {completed.Count} requests in {seconds:F1} s = {completed.Count / seconds:F0}/s (server answered {server.Served}, "
                + $"{servedWhileDown} while the aggregator was down); records of this run {ourRecords}; lost {lost}; {detail}\n{wrk.Output}");

            string context = $"\n{detail}\n{collector.Diagnostics()}\n{firstRunLog}\n{aggregator.Diagnostics()}\nloss series:\n"
                + string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("s3slower_events_lost_total", StringComparison.Ordinal)));
            Assert.True(completed.Count > 1000, "wrk completed too few requests\n" + wrk.Output);
            Assert.True(servedWhileDown > 0, "no traffic while the aggregator was down");
            Assert.True(audit.UnreadableLines == 0, $"{audit.UnreadableLines} torn or unreadable lines in operations.jsonl" + context);
            Assert.True(missing == 0 && duplicated == 0 && duplicateKeys == 0 && audit.SequenceDuplicates == 0,
                "completed requests missing or duplicated in operations.jsonl" + context);
            Assert.True(lost == 0, $"s3slower_events_lost_total is {lost}" + context);
        }
        finally
        {
            if (aggregator is not null)
            {
                await aggregator.DisposeAsync();
            }

            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    /// <summary>
    /// kill -9 can cut the aggregator's last write short, leaving a torn line without its newline at the end of
    /// operations.jsonl. The restarted aggregator must not glue the next record onto it: that record would be
    /// acknowledged yet unreadable, i.e. lost.
    /// </summary>
    [Fact]
    public async Task RestartAfterATornLastLine_NoRecordIsSwallowed()
    {
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-torn-");
        string socket = Path.Combine(dir, "agg.sock");
        string outDir = Path.Combine(dir, "out");
        int port = FaultEnvironment.FreePort();
        FaultAggregator? aggregator = null;
        try
        {
            aggregator = await FaultAggregator.StartAsync(socket, outDir, port);
            await using var collector = new SyntheticCollector(socket, "torn" + Guid.NewGuid().ToString("N")[..8]);
            for (int i = 0; i < 1000; i++)
            {
                collector.Publish();
            }

            Assert.True(await collector.Client.DrainAsync(TimeSpan.FromSeconds(30)), "first run did not store the events\n" + aggregator.Diagnostics());
            await aggregator.KillHardAsync();
            await aggregator.DisposeAsync();

            // What a write cut short by SIGKILL leaves: the start of a record (never acknowledged), no newline.
            await File.AppendAllTextAsync(aggregator.OperationsLogPath, "{\"time\":\"2026-11-30T21:00:00.000000Z\",\"collector_id\":\"" + collector.Client.CollectorId[..10]);
            aggregator = await FaultAggregator.StartAsync(socket, outDir, port);
            for (int i = 0; i < 500; i++)
            {
                collector.Publish();
            }

            Assert.True(await collector.Client.DrainAsync(TimeSpan.FromSeconds(30)), "second run did not store the events\n" + aggregator.Diagnostics());
            var audit = LogAudit.Read(aggregator.OperationsLogPath);
            var (missing, duplicated, detail) = audit.Check(Enumerable.Range(0, 1500).Select(n => collector.KeyOf(n)));
            string[] lines = File.ReadAllLines(aggregator.OperationsLogPath);
            output.WriteLine(detail + "\nline 1001: " + lines[1000][..Math.Min(lines[1000].Length, 300)]);
            Assert.True(missing == 0 && duplicated == 0,
                $"after a torn last line the restarted aggregator appended the next record to it, so an acknowledged record is unreadable: {detail}\nline 1001: {lines[1000]}");
        }
        finally
        {
            if (aggregator is not null)
            {
                await aggregator.DisposeAsync();
            }

            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    /// <summary>Collectors report loss counters every second; wait until the restarted aggregator has the series.</summary>
    internal static async Task<string> WaitForLossSeriesAsync(FaultAggregator aggregator)
    {
        string metrics = await aggregator.MetricsAsync();
        for (int i = 0; i < 50 && !FaultAggregator.Has(metrics, "s3slower_events_lost_total"); i++)
        {
            await Task.Delay(100);
            metrics = await aggregator.MetricsAsync();
        }

        Assert.True(FaultAggregator.Has(metrics, "s3slower_events_lost_total"), "no s3slower_events_lost_total series: collectors' loss counters never arrived\n" + metrics);
        return metrics;
    }
}
