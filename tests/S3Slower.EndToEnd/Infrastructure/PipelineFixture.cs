namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>
/// The real pipeline: s3slower-aggregator (JSONL output, metrics on a free loopback port) and s3slower-collector
/// (root, eBPF, --print) on a private socket and output directory. Fails, never skips, when not root or when a
/// binary is missing: these tests run as root in CI.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _dir = new("pipeline");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public ManagedProcess? Aggregator { get; private set; }

    public ManagedProcess? Collector { get; private set; }

    public string OutputDir => _dir.File("out");

    public string OperationsFile => Path.Combine(OutputDir, "operations.jsonl");

    public string SocketPath => _dir.File("s3slower.sock");

    public Uri MetricsUri { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException(
                "The pipeline end-to-end tests must run as root (the collector loads eBPF programs); run them with sudo. They do not skip.");
        }

        var aggregator = RepoPaths.Binary("S3Slower.Aggregator", "s3slower-aggregator");
        var collector = RepoPaths.Binary("S3Slower.Collector", "s3slower-collector");
        Directory.CreateDirectory(OutputDir);
        var port = FreePort.Next();
        MetricsUri = new Uri($"http://127.0.0.1:{port}/metrics");
        Aggregator = ManagedProcess.Start(
            "aggregator",
            aggregator,
            ["--socket", SocketPath, "--output-dir", OutputDir, "-d", "jsonl", "-d", "prometheus", "-d", "json", "-d", "csv", "--listen", $"127.0.0.1:{port}"]);
        await WaitForMetricsAsync(text => text.Contains("s3slower_", StringComparison.Ordinal), "its metrics endpoint");

        Collector = ManagedProcess.Start("collector", collector, ["--socket", SocketPath, "--print"]);
        await Collector.WaitForLineAsync(l => l.Contains("tracing", StringComparison.OrdinalIgnoreCase), StartTimeout, "that it is tracing");
        await WaitForMetricsAsync(text => ConnectedCollectors(text) >= 1, "s3slower_collectors_connected >= 1");
    }

    public async Task DisposeAsync()
    {
        if (Collector is not null)
        {
            await Collector.StopAsync(TimeSpan.FromSeconds(20));
        }

        if (Aggregator is not null)
        {
            await Aggregator.StopAsync(TimeSpan.FromSeconds(20));
        }

        Dispose();
    }

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    public IReadOnlyList<TracedOperation> Operations() => TracedOperation.ReadAll(OperationsFile);

    /// <summary>
    /// Polls operations.jsonl until <paramref name="done"/> holds for the records of these pids, then waits a little
    /// longer (idle flush is ~1 s) so that a duplicate reported late is seen too.
    /// </summary>
    public async Task<IReadOnlyList<TracedOperation>> WaitForOperationsAsync(
        IReadOnlySet<int> pids, Func<IReadOnlyList<TracedOperation>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (done(Operations().Where(o => pids.Contains(o.Pid)).ToList()))
            {
                break;
            }

            AssertAlive();
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        AssertAlive();
        return Operations().Where(o => pids.Contains(o.Pid)).ToList();
    }

    public async Task<string> MetricsAsync() => await _http.GetStringAsync(MetricsUri);

    public void AssertAlive()
    {
        if (Collector is null || Aggregator is null)
        {
            throw new InvalidOperationException("the pipeline did not start");
        }

        if (Collector.HasExited)
        {
            throw new InvalidOperationException($"the collector exited with code {Collector.ExitCode}.\n{Collector.Output()}");
        }

        if (Aggregator.HasExited)
        {
            throw new InvalidOperationException($"the aggregator exited with code {Aggregator.ExitCode}.\n{Aggregator.Output()}");
        }
    }

    public string Diagnostics() => (Collector?.Output(30) ?? "(collector not started)\n") + (Aggregator?.Output(30) ?? "(aggregator not started)\n");

    private static double ConnectedCollectors(string metrics) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith("s3slower_collectors_connected", StringComparison.Ordinal))
            .Select(l => double.TryParse(l.Split(' ').Last(), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0)
            .DefaultIfEmpty(0)
            .Max();

    private async Task WaitForMetricsAsync(Func<string, bool> ready, string what)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        string last = "(no answer)";
        while (DateTime.UtcNow < deadline)
        {
            if (Aggregator!.HasExited)
            {
                throw new InvalidOperationException($"the aggregator exited with code {Aggregator.ExitCode} while waiting for {what}.\n{Aggregator.Output()}");
            }

            if (Collector is not null && Collector.HasExited)
            {
                throw new InvalidOperationException($"the collector exited with code {Collector.ExitCode} while waiting for {what}.\n{Collector.Output()}");
            }

            try
            {
                last = await _http.GetStringAsync(MetricsUri);
                if (ready(last))
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no {what} on {MetricsUri} within {StartTimeout.TotalSeconds:F0} s; last answer: {last[..Math.Min(last.Length, 2000)]}\n{Diagnostics()}");
    }
}
