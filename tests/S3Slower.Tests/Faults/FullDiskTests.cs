using System.Diagnostics;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// The output directory on a small tmpfs that fills up: a clear error, /metrics keeps serving, writing resumes once a
/// filler file is deleted, and every request is either in operations.jsonl once or counted as written off.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class FullDiskTests(ITestOutputHelper output)
{
    // 4 MiB of which a filler takes 3.5: the log fills in a few seconds at the rate below, and deleting the filler
    // makes room for everything held back meanwhile (held records must fit, or they would fill the disk again).
    private const int TmpfsMiB = 4;
    private const int FillerKiB = 3584;
    private const double Rate = 300;

    [Fact]
    public async Task FullDisk_ClearErrorMetricsServeWritingResumes_LossAccounted()
    {
        FaultEnvironment.RequireRoot("it mounts a tmpfs");
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-disk-");
        string mount = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        string socket = Path.Combine(dir, "agg.sock");
        await RunAsync("mount", "-t", "tmpfs", "-o", $"size={TmpfsMiB}m", "tmpfs", mount);
        try
        {
            string filler = Path.Combine(mount, "filler");
            await File.WriteAllBytesAsync(filler, new byte[FillerKiB * 1024]);
            await using var aggregator = await FaultAggregator.StartAsync(socket, mount, FaultEnvironment.FreePort());
            await using var collector = new SyntheticCollector(socket, "disk" + Guid.NewGuid().ToString("N")[..8]);
            Assert.True(await FaultEnvironment.WaitUntilAsync(() => collector.Client.Connected, TimeSpan.FromSeconds(10)), collector.Log);
            using var stopLoad = new CancellationTokenSource();
            var load = collector.GenerateAsync(Rate, TimeSpan.FromMinutes(3), stopLoad.Token);

            var watch = Stopwatch.StartNew();
            double failures = 0;
            while (watch.Elapsed < TimeSpan.FromSeconds(30) && failures == 0)
            {
                await Task.Delay(250);
                failures = await aggregator.MetricAsync("s3slower_log_write_failures_total");
            }

            Assert.True(failures > 0, $"operations.jsonl never failed to write on a full {TmpfsMiB} MiB tmpfs\n{aggregator.Diagnostics()}");
            long fullAt = collector.Generated;
            double requestsAtFull = await aggregator.MetricAsync("s3slower_requests_total");
            Assert.True(await aggregator.Process.WaitForStderrAsync("No space left on device", TimeSpan.FromSeconds(5)), "no clear error in the log\n" + aggregator.Diagnostics());

            // Full for five seconds: metrics keep serving and counting; the collector holds what is not acknowledged.
            await Task.Delay(TimeSpan.FromSeconds(5));
            double requestsWhileFull = await aggregator.MetricAsync("s3slower_requests_total");
            int heldByCollector = collector.Spool.Pending;
            Assert.True(requestsWhileFull > requestsAtFull, $"s3slower_requests_total stopped at {requestsAtFull} while the disk was full");
            Assert.True(heldByCollector > 0, "the aggregator acknowledged events it could not write");

            File.Delete(filler);
            Assert.True(await aggregator.Process.WaitForStderrAsync("again after", TimeSpan.FromSeconds(20)), "writing did not resume after space returned\n" + aggregator.Diagnostics());
            await Task.Delay(TimeSpan.FromSeconds(3));
            await stopLoad.CancelAsync();
            await load;
            Assert.True(await collector.Client.DrainAsync(TimeSpan.FromSeconds(30)), $"{collector.Spool.Pending} events never acknowledged after space returned");

            string metrics = await aggregator.MetricsAsync();
            double writtenOff = FaultAggregator.Sum(metrics, "s3slower_log_records_dropped_total");
            double writeFailures = FaultAggregator.Sum(metrics, "s3slower_log_write_failures_total");
            double requests = FaultAggregator.Sum(metrics, "s3slower_requests_total");
            var audit = LogAudit.Read(aggregator.OperationsLogPath);
            long generated = collector.Generated;
            var (missing, duplicated, detail) = audit.Check(Enumerable.Range(0, (int)generated).Select(n => collector.KeyOf(n)));
            output.WriteLine($"generated {generated} at {Rate}/s; disk full after {fullAt}; held by the collector while full {heldByCollector}; "
                + $"write failures {writeFailures}; written off {writtenOff}; requests_total {requests}; {detail}");

            Assert.Equal(generated, (long)requests);
            Assert.True(duplicated == 0 && audit.SequenceDuplicates == 0 && audit.UnreadableLines == 0, detail);
            Assert.True(missing == writtenOff, $"{missing} requests are missing from operations.jsonl but {writtenOff} were reported written off: {detail}\n{aggregator.Diagnostics()}");
        }
        finally
        {
            await RunAsync("umount", mount);
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        await using var p = ChildProcess.Start(file, args);
        int exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"{file} {string.Join(' ', args)} failed ({exit}): {p.Stderr}");
    }
}
