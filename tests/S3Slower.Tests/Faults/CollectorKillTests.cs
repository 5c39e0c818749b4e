using System.Diagnostics;
using S3Slower.Tests.Servers;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// kill -9 of the real collector: the aggregator's counters must not reset, the new collector connects with a new id
/// and its requests flow. (Loss-free collector restarts need the pinned eBPF maps, built separately; not asserted here.)
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class CollectorKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CollectorKilled_CountersSurviveAndTheNextCollectorIsServed()
    {
        FaultEnvironment.RequireRoot("the collector loads eBPF programs");
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-coll-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            using var server = new EchoHttpServer();
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            string tag = "ck" + Guid.NewGuid().ToString("N")[..8];

            await using var first = await StartCollectorAsync(socket);
            var round1 = await CurlAsync(server.Port, tag + "a", 60);
            double before = await WaitForRequestsAsync(aggregator, 60, first);
            await first.KillHardAsync();
            Assert.True(await FaultEnvironment.WaitUntilAsync(() => Connected(aggregator) == 0, TimeSpan.FromSeconds(10), 200), "the aggregator still counts the killed collector as connected");
            double afterKill = await aggregator.MetricAsync("s3slower_requests_total");
            Assert.True(afterKill >= before, $"s3slower_requests_total went back from {before} to {afterKill} when the collector died");

            await using var second = await StartCollectorAsync(socket);
            var round2 = await CurlAsync(server.Port, tag + "b", 60);
            double after = await WaitForRequestsAsync(aggregator, before + 60, second);

            LogAudit audit = LogAudit.Read(aggregator.OperationsLogPath);
            var (missing, duplicated, detail) = audit.Check([.. round1, .. round2]);
            var ids = audit.Records.Where(r => r.Key?.StartsWith(tag, StringComparison.Ordinal) == true).GroupBy(r => r.CollectorId).Select(g => (g.Key, g.Count())).ToList();
            output.WriteLine($"requests_total {before} before the kill, {afterKill} after it, {after} after the new collector's requests; collector ids {string.Join(", ", ids)}; {detail}");
            Assert.True(after >= before + 60, $"s3slower_requests_total {after} did not grow by the new collector's 60 requests from {before}");
            Assert.True(missing == 0 && duplicated == 0, detail + "\n" + aggregator.Diagnostics());
            Assert.Equal(2, ids.Count);
            Assert.True(ids.All(i => i.Item2 == 60), "each collector id should hold its own 60 requests: " + string.Join(", ", ids));
            Assert.Equal(1, Connected(aggregator));
        }
        finally
        {
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    private static double Connected(FaultAggregator aggregator) => aggregator.MetricAsync("s3slower_collectors_connected").GetAwaiter().GetResult();

    private static async Task<ChildProcess> StartCollectorAsync(string socket)
    {
        var collector = ChildProcess.Start(FaultEnvironment.CollectorExecutable, ["--socket", socket, "--comm", "curl"]);
        Assert.True(await collector.WaitForStderrAsync("connected to the aggregator", TimeSpan.FromSeconds(60)), "collector did not connect\n" + collector.Diagnostics());
        return collector;
    }

    private static async Task<double> WaitForRequestsAsync(FaultAggregator aggregator, double atLeast, ChildProcess collector)
    {
        double seen = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            seen = await aggregator.MetricAsync("s3slower_requests_total");
            if (seen >= atLeast)
            {
                return seen;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"s3slower_requests_total reached {seen}, expected {atLeast}\n{collector.Diagnostics()}\n{aggregator.Diagnostics()}");
        return seen;
    }

    /// <summary>One curl, <paramref name="count"/> keep-alive requests, each with its own key.</summary>
    private static async Task<List<string>> CurlAsync(int port, string prefix, int count)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D4}").ToList();
        var args = new List<string> { "-s", "-f", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD" };
        foreach (string key in keys)
        {
            args.AddRange(["-o", "/dev/null", $"http://127.0.0.1:{port}/fault-bucket/{key}"]);
        }

        await using var curl = ChildProcess.Start("curl", args);
        Assert.True(await curl.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, "curl failed\n" + curl.Diagnostics());
        return keys;
    }
}
