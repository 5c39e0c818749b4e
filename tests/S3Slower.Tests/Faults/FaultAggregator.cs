using System.Globalization;
using System.Net;

namespace S3Slower.Tests.Faults;

/// <summary>
/// The real aggregator process on a socket, port and output directory the test chooses, so it can be killed and
/// started again on the very same ones.
/// </summary>
internal sealed class FaultAggregator : IAsyncDisposable
{
    private readonly HttpClient _http;

    private FaultAggregator(ChildProcess process, string socketPath, string outputDir, int port)
    {
        Process = process;
        SocketPath = socketPath;
        OutputDir = outputDir;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public ChildProcess Process { get; }

    public string SocketPath { get; }

    public string OutputDir { get; }

    public int Port { get; }

    public int Pid => Process.Pid;

    public string OperationsLogPath => Path.Combine(OutputDir, "operations.jsonl");

    /// <summary>Starts with the jsonl and prometheus drivers and waits until it listens on the socket and serves /metrics.</summary>
    public static async Task<FaultAggregator> StartAsync(string socketPath, string outputDir, int port, params string[] extra)
    {
        string[] args =
        [
            "--socket", socketPath, "--output-dir", outputDir, "--listen", $"127.0.0.1:{port}",
            "-d", "jsonl", "-d", "prometheus", .. extra,
        ];
        var process = ChildProcess.Start(FaultEnvironment.AggregatorExecutable, args, keepStdout: false);
        var aggregator = new FaultAggregator(process, socketPath, outputDir, port);
        bool listening = await process.WaitForStderrAsync("listening for collectors", TimeSpan.FromSeconds(30));
        Assert.True(listening, "the aggregator did not start listening\n" + process.Diagnostics());
        bool serving = await FaultEnvironment.WaitUntilAsync(() => aggregator.TryMetrics() is not null, TimeSpan.FromSeconds(15), 100);
        Assert.True(serving, "the aggregator does not serve /metrics\n" + process.Diagnostics());
        return aggregator;
    }

    public async Task<string> MetricsAsync()
    {
        using var response = await _http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Sum of every sample of <paramref name="name"/> whose labels contain <paramref name="labelFilter"/>.</summary>
    public async Task<double> MetricAsync(string name, string? labelFilter = null) => Sum(await MetricsAsync(), name, labelFilter);

    public static double Sum(string metrics, string name, string? labelFilter = null)
    {
        double sum = 0;
        foreach (string raw in metrics.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }

            int end = name.Length;
            if (end < line.Length && line[end] != '{' && line[end] != ' ')
            {
                continue;
            }

            if (labelFilter is not null && !line.Contains(labelFilter, StringComparison.Ordinal))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            sum += double.Parse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>Whether any sample of the metric exists (a counter created at 0 counts).</summary>
    public static bool Has(string metrics, string name) =>
        metrics.Split('\n').Any(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));

    public async Task KillHardAsync() => await Process.KillHardAsync();

    public string Diagnostics() => Process.Diagnostics();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync();
    }

    private string? TryMetrics()
    {
        try
        {
            return MetricsAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
        {
            return null;
        }
    }
}
