using System.Diagnostics;
using S3Slower.Tests.Servers;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// The service's collector (<c>--pin --state-dir</c>) killed with -9 in the middle of a load and restarted within 5 s:
/// the kernel keeps tracing into the pinned ring, the journal keeps what was published but not acknowledged, and the
/// records of requests in flight stay in the ring, so every request the client completed is reported exactly once.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class CollectorKillUnderLoadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task PinnedJournaledCollectorKilledUnderLoad_LosesNoCompletedRequest()
    {
        FaultEnvironment.RequireRoot("the collector loads and pins eBPF programs");
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-collkill-");
        string socket = Path.Combine(dir, "agg.sock");
        string state = Path.Combine(dir, "state");
        string[] args = ["--socket", socket, "--comm", "wrk", "--pin", "--state-dir", state];
        try
        {
            await FaultEnvironment.UnpinAsync();
            using var server = new EchoHttpServer();
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            var first = ChildProcess.Start(FaultEnvironment.CollectorExecutable, args);
            Assert.True(await first.WaitForStderrAsync("connected to the aggregator", TimeSpan.FromSeconds(60)), "collector did not connect\n" + first.Diagnostics());

            var wrk = new WrkLoad(dir, "ck" + Guid.NewGuid().ToString("N")[..8]);
            var watch = Stopwatch.StartNew();
            var load = wrk.RunAsync(server.Port, seconds: 16, connections: 20, pauseMs: 2);
            await Task.Delay(TimeSpan.FromSeconds(5));
            long servedAtKill = server.Served;
            await first.KillHardAsync();
            string firstLog = first.Diagnostics();
            await first.DisposeAsync();
            await Task.Delay(Down);
            await using var second = ChildProcess.Start(FaultEnvironment.CollectorExecutable, args);
            Assert.True(await second.WaitForStderrAsync("connected to the aggregator", TimeSpan.FromSeconds(60)), "the new collector did not connect\n" + second.Diagnostics());
            long servedWhileDown = server.Served - servedAtKill;
            await load;
            double seconds = watch.Elapsed.TotalSeconds;
            var completed = wrk.CompletedKeys();

            LogAudit audit = await LogAudit.SettleAsync(aggregator.OperationsLogPath, completed);

            var (missing, duplicated, detail) = audit.Check(completed);
            int duplicateKeys = audit.KeyCounts.Count(kv => kv.Value > 1);
            var collectorIds = audit.Records.Where(r => r.Key?.StartsWith(wrk.Tag, StringComparison.Ordinal) == true).Select(r => r.CollectorId).Distinct().ToList();
            output.WriteLine($"wrk completed {completed.Count} requests in {seconds:F1} s = {completed.Count / seconds:F0}/s; server answered {servedWhileDown} while the collector was down; "
                + $"collector ids {string.Join(", ", collectorIds)}; {detail}\n{second.Stderr}");

            string context = $"\n{detail}\n--- first collector ---\n{firstLog}\n--- second collector ---\n{second.Diagnostics()}\n{aggregator.Diagnostics()}";
            Assert.True(completed.Count > 1000, "wrk completed too few requests\n" + wrk.Output);
            Assert.True(servedWhileDown > 0, "no traffic while the collector was down");
            Assert.True(second.StderrContains("continuing pinned tracing"), "the new collector did not reuse the pinned ring" + context);
            Assert.True(missing == 0 && duplicated == 0 && duplicateKeys == 0 && audit.SequenceDuplicates == 0,
                "completed requests missing or duplicated across the collector's kill -9" + context);
            Assert.True(collectorIds.Count == 1, "the restarted collector should continue as the same collector: " + string.Join(", ", collectorIds) + context);
        }
        finally
        {
            await FaultEnvironment.UnpinAsync();
            FaultEnvironment.DeleteDirectory(dir);
        }
    }
}
