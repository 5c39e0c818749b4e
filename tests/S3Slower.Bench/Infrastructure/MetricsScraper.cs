using System.Diagnostics;

namespace S3Slower.Bench.Infrastructure;

/// <summary>Fetches an aggregator's /metrics; remembers how long the slowest scrape took.</summary>
internal sealed class MetricsScraper : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Uri _uri;

    public MetricsScraper(int port) => _uri = new Uri($"http://127.0.0.1:{port}/metrics");

    public int Scrapes { get; private set; }

    public TimeSpan Slowest { get; private set; }

    public int Failures { get; private set; }

    public async Task<string?> TryScrapeAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            string text = await _http.GetStringAsync(_uri, cancellationToken);
            Scrapes++;
            Slowest = watch.Elapsed > Slowest ? watch.Elapsed : Slowest;
            return text;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Failures++;
            return null;
        }
    }

    /// <summary>Waits until /metrics answers (the aggregator is up) or the child exits.</summary>
    public async Task WaitReadyAsync(ChildProcess child, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"the process exited during startup:\n{child.Tail()}");
            }

            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                _ = await _http.GetStringAsync(_uri, cts.Token);
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"{_uri} did not answer within {timeout.TotalSeconds:0} s:\n{child.Tail()}");
    }

    public void Dispose() => _http.Dispose();
}
