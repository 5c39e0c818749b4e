namespace S3Slower.Bench.Infrastructure;

/// <summary>The real aggregator process on a private socket and port, Prometheus output only.</summary>
internal sealed class AggregatorHost : IAsyncDisposable
{
    private AggregatorHost(ChildProcess process, string socketPath, int port, MetricsScraper scraper)
    {
        Process = process;
        SocketPath = socketPath;
        Port = port;
        Scraper = scraper;
    }

    public ChildProcess Process { get; }

    public string SocketPath { get; }

    public int Port { get; }

    public MetricsScraper Scraper { get; }

    /// <param name="directory">Where the socket, the log and the outputs go.</param>
    /// <param name="perfMap">Makes the runtime write /tmp/perf-PID.map so `perf report` names JIT-compiled methods.</param>
    public static async Task<AggregatorHost> StartAsync(TempDirectory directory, bool perfMap = false)
    {
        string binary = BinaryLocator.Aggregator();
        string socket = directory.File("s.sock");
        int port = FreePort.Next();
        string[] arguments = ["--socket", socket, "--listen", $"127.0.0.1:{port}", "-d", "prometheus", "--output-dir", directory.Path];
        var environment = new Dictionary<string, string>();
        if (perfMap)
        {
            environment["DOTNET_PerfMapEnabled"] = "1";
            // With W^X the JIT's code lives in a double-mapped memfd perf cannot match against the map.
            environment["DOTNET_EnableWriteXorExecute"] = "0";
        }

        var process = ChildProcess.Start(binary, arguments, directory.File("aggregator.log"), environment);
        var scraper = new MetricsScraper(port);
        var host = new AggregatorHost(process, socket, port, scraper);
        try
        {
            await scraper.WaitReadyAsync(process, TimeSpan.FromSeconds(30));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!File.Exists(socket) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            if (!File.Exists(socket))
            {
                throw new TimeoutException($"the aggregator did not create {socket}:\n{process.Tail()}");
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        Console.WriteLine($"aggregator: {binary} {string.Join(' ', arguments)} (pid {process.Pid})");
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        Scraper.Dispose();
    }
}
