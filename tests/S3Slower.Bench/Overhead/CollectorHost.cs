using S3Slower.Bench.Infrastructure;

namespace S3Slower.Bench.Overhead;

/// <summary>The real collector (root), attached and connected to the bench's aggregator for one traced run.</summary>
internal static class CollectorHost
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly Dictionary<string, string> CollectorEnvironment = new() { ["DOTNET_GCgen0size"] = "0x1000000" };

    public static async Task<ChildProcess> StartAsync(AggregatorHost aggregator, string logPath)
    {
        string binary = BinaryLocator.Collector();
        // The collector's gen0 budget, as ./s3slower and the service set it; this process has the aggregator's.
        var process = ChildProcess.Start(binary, ["--socket", aggregator.SocketPath], logPath, CollectorEnvironment);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                string tail = process.Tail();
                await process.DisposeAsync();
                throw new InvalidOperationException($"the collector exited during startup:\n{tail}");
            }

            // "tracing" is logged once the programs are attached; the gauge says the hello went through.
            if (process.Tail(200).Contains("tracing", StringComparison.Ordinal)
                && await aggregator.Scraper.TryScrapeAsync(CancellationToken.None) is { } text
                && PrometheusText.Sum(text, "s3slower_collectors_connected") >= 1)
            {
                return process;
            }

            await Task.Delay(100);
        }

        string log = process.Tail();
        await process.DisposeAsync();
        throw new TimeoutException($"the collector did not attach and connect within {StartTimeout.TotalSeconds:0} s:\n{log}");
    }
}
