using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Faults;

/// <summary>
/// The collector's real transport (<see cref="AggregatorClient"/> + <see cref="EventSpool"/>) in this process, fed by
/// a paced generator instead of eBPF: deterministic load with a unique key per request, numbered 0, 1, 2, …
/// </summary>
internal sealed class SyntheticCollector : IAsyncDisposable
{
    public const string Bucket = "fault-bucket";

    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _log = new();
    private readonly TextWriter _syncLog;
    private readonly Task _forwarding;
    private long _generated;

    public SyntheticCollector(string socketPath, string tag, int spoolEvents = 400_000)
    {
        Tag = tag;
        Spool = new EventSpool(spoolEvents);
        _syncLog = TextWriter.Synchronized(_log);
        Client = new AggregatorClient(socketPath, Spool, _syncLog, TimeSpan.FromMilliseconds(5));
        _forwarding = Task.Run(() => Client.RunAsync(_stop.Token));
    }

    public string Tag { get; }

    public EventSpool Spool { get; }

    public AggregatorClient Client { get; }

    /// <summary>Requests handed to the spool so far (accepted or, if the spool was full, dropped).</summary>
    public long Generated => Interlocked.Read(ref _generated);

    public string Log
    {
        get
        {
            lock (_syncLog)
            {
                return _log.ToString();
            }
        }
    }

    public string KeyOf(long n) => $"{Tag}-{n:D9}";

    /// <summary>Publishes at <paramref name="perSecond"/> until <paramref name="duration"/> passed or cancelled; returns the achieved rate.</summary>
    public async Task<double> GenerateAsync(double perSecond, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long start = Generated;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (watch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            long due = start + (long)(watch.Elapsed.TotalSeconds * perSecond);
            while (Generated < due)
            {
                Publish();
            }

            try
            {
                await timer.WaitForNextTickAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (Generated - start) / watch.Elapsed.TotalSeconds;
    }

    public void Publish()
    {
        long n = Interlocked.Increment(ref _generated) - 1;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        string key = KeyOf(n);
        Spool.Publish(new RequestEvent
        {
            RequestStartNs = now - 3_000_000,
            RequestEndNs = now - 2_900_000,
            ResponseStartNs = now - 1_000_000,
            ResponseEndNs = now,
            ResponseBodyBytes = 2048,
            Pid = Environment.ProcessId,
            Tid = Environment.CurrentManagedThreadId,
            Comm = "fault-synth",
            Method = "GET",
            Target = $"/{Bucket}/{key}",
            Host = "127.0.0.1:9000",
            Status = 200,
            RequestId = key,
            ConnectionId = (ulong)(n / 100),
            Peer = "127.0.0.1:9000",
            Headers = new Dictionary<string, string> { ["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD" },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _forwarding.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
