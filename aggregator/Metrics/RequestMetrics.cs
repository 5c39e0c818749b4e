using System.Globalization;
using Prometheus;
using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Metrics;

/// <summary>
/// The per-request Prometheus metrics with the legacy names and labels (hostname, comm, s3_operation, method, pid).
/// Labelled children are resolved once per series and cached, since <c>WithLabels</c> locks and hashes on each call.
/// Cardinality guard: a series whose process has exited (no /proc entry) and that saw nothing for <c>pidTtl</c> is
/// removed; past <c>maxSeries</c> new series fold into one <c>_other</c> series per host, operation and method, counted
/// by <c>s3slower_series_overflow_total</c>. Thread-safe: the collector connections record through
/// <see cref="SeriesDelta"/>s of their own, applied here before every scrape (<see cref="BeforeScrape"/>).
/// </summary>
public sealed class RequestMetrics
{
    public const string OverflowLabel = "_other";
    private const int MaxErrorCodes = 256;

    private static readonly string[] Labels = ["hostname", "comm", "s3_operation", "method", "pid"];
    private static readonly string[] PhaseLabels = ["hostname", "comm", "s3_operation", "method"];

    private readonly Counter _requests;
    private readonly Counter _errors;
    private readonly Counter _requestBytes;
    private readonly Counter _responseBytes;
    private readonly Counter _partial;
    private readonly Histogram _duration;
    private readonly Histogram _ttfb;
    private readonly Histogram _upload;
    private readonly Histogram _serverWait;
    private readonly Histogram _download;
    private readonly Counter _s3Errors;
    private readonly Counter _overflow;
    private readonly Counter _expired;
    private readonly Gauge _series;

    private readonly Dictionary<SeriesKey, Series> _cache = [];
    private readonly Dictionary<PhaseKey, PhaseSeries> _phaseCache = [];
    private readonly Dictionary<(string Operation, string Code), Counter.Child> _errorCache = [];
    private readonly int _maxSeries;
    private readonly TimeSpan _pidTtl;
    private readonly Func<int, bool> _processAlive;
    private readonly Prometheus.CollectorRegistry _registry;

    // Guards the caches, the series count and every change to which series exist.
    private readonly Lock _sync = new();
    private int _generation;

    public RequestMetrics(CollectorRegistry registry, int maxSeries, TimeSpan pidTtl, Func<int, bool>? processAlive = null)
    {
        _maxSeries = maxSeries;
        _pidTtl = pidTtl;
        _processAlive = processAlive ?? (pid => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}"));
        _registry = registry;
        var f = Prometheus.Metrics.WithCustomRegistry(registry);

        // The default exemplar provider reads Activity.Current on every observation; these requests have no trace context.
        f.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _requests = f.CreateCounter("s3slower_requests_total", "S3 requests completed.", Labels);
        _errors = f.CreateCounter("s3slower_request_errors_total", "S3 requests answered with HTTP 4xx or 5xx.", Labels);
        _requestBytes = f.CreateCounter("s3slower_request_bytes_total", "Request body bytes sent to S3.", Labels);
        _responseBytes = f.CreateCounter("s3slower_response_bytes_total", "Response body bytes read from S3.", Labels);
        _partial = f.CreateCounter("s3slower_partial_requests_total", "Multipart upload parts (UploadPart, UploadPartCopy).", Labels);
        var buckets = new HistogramConfiguration { Buckets = LatencyBuckets.BoundsSeconds, LabelNames = Labels };
        _duration = f.CreateHistogram("s3slower_request_duration_seconds", "Time from the request's first byte written to the response's last byte read.", buckets);
        _ttfb = f.CreateHistogram("s3slower_time_to_first_byte_seconds", "Time from the request's first byte written to the response's first byte read.", buckets);
        var phaseBuckets = new HistogramConfiguration { Buckets = LatencyBuckets.BoundsSeconds, LabelNames = PhaseLabels };
        _upload = f.CreateHistogram("s3slower_upload_duration_seconds", "Time to write the request (headers and body).", phaseBuckets);
        _serverWait = f.CreateHistogram("s3slower_server_wait_seconds", "Time from the request's last byte to the response's first byte.", phaseBuckets);
        _download = f.CreateHistogram("s3slower_download_duration_seconds", "Time from the response's first byte to its last byte read.", phaseBuckets);
        _s3Errors = f.CreateCounter("s3slower_s3_errors_total", "S3 error responses by error code (HTTP status when the body had none).", "s3_operation", "error_code");
        _overflow = f.CreateCounter("s3slower_series_overflow_total", "Requests counted in an _other series because the series cap was reached.");
        _expired = f.CreateCounter("s3slower_series_expired_total", "Series removed because their process exited.");
        _series = f.CreateGauge("s3slower_series", "Labelled request series currently exported.");
    }

    private int _ownSeries;

    /// <summary>Labelled series of their own (not counting the _other ones).</summary>
    public int SeriesCount => _ownSeries;

    /// <summary>Bumped whenever series are removed, so a caller that keeps <see cref="Series"/> references drops them.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Runs <paramref name="apply"/> before every collection of the registry, to apply pending deltas.</summary>
    public void BeforeScrape(Action apply) => _registry.AddBeforeCollectCallback(apply);

    public void Record(string hostname, string comm, int pid, string operation, string method, int status,
        string? errorCode, bool isPart, long requestBytes, long responseBytes, in RequestTiming timing, DateTime now)
    {
        lock (_sync)
        {
            Record(SeriesFor(hostname, comm, pid, operation, method), operation, status, errorCode, isPart, requestBytes, responseBytes, timing, now);
        }
    }

    /// <summary>The series of these labels, created (or the overflow series) on first use; valid until <see cref="Generation"/> changes.</summary>
    internal Series SeriesFor(string hostname, string comm, int pid, string operation, string method)
    {
        var key = new SeriesKey(hostname, comm, operation, method, pid);
        lock (_sync)
        {
            return _cache.TryGetValue(key, out var s) ? s : Resolve(key);
        }
    }

    /// <summary>
    /// Adds what a writer gathered to the exported series and clears it. A series that expired meanwhile is created
    /// again: these requests happened, and the process they came from is known to have existed.
    /// </summary>
    internal void Apply(SeriesDelta delta, DateTime now)
    {
        if (delta.Requests == 0)
        {
            return;
        }

        lock (_sync)
        {
            var s = delta.Series;
            if (s.Removed)
            {
                s = _cache.TryGetValue(s.Key, out var current) ? current : Resolve(s.Key);
                delta.Series = s;
            }

            s.LastSeen = now;
            if (s.Overflow)
            {
                _overflow.Inc(delta.Requests);
            }

            s.Requests.Inc(delta.Requests);
            s.Errors.Inc(delta.Errors);
            s.Partial.Inc(delta.Partial);
            s.RequestBytes.Inc(delta.RequestBytes);
            s.ResponseBytes.Inc(delta.ResponseBytes);
            if (delta.ErrorCodes is { Count: > 0 } codes)
            {
                foreach (var ((code, status), count) in codes)
                {
                    S3Error(s.Key.Operation, code, status).Inc(count);
                }
            }

            delta.Duration.ApplyTo(s.Duration);
            delta.Ttfb.ApplyTo(s.Ttfb);
            delta.Upload.ApplyTo(s.Phases.Upload);
            delta.ServerWait.ApplyTo(s.Phases.ServerWait);
            delta.Download.ApplyTo(s.Phases.Download);
            delta.ClearCounts();
        }
    }

    private void Record(Series s, string operation, int status, string? errorCode, bool isPart,
        long requestBytes, long responseBytes, in RequestTiming timing, DateTime now)
    {
        s.LastSeen = now;
        if (s.Overflow)
        {
            _overflow.Inc();
        }

        s.Requests.Inc();
        if (status >= 400 && status < 600)
        {
            s.Errors.Inc();
            S3Error(operation, errorCode, status).Inc();
        }

        if (isPart)
        {
            s.Partial.Inc();
        }

        if (requestBytes > 0)
        {
            s.RequestBytes.Inc(requestBytes);
        }

        if (responseBytes > 0)
        {
            s.ResponseBytes.Inc(responseBytes);
        }

        s.Duration.Observe(timing.TotalNs / 1e9);
        s.Ttfb.Observe(timing.TtfbNs / 1e9);
        s.Phases.Upload.Observe(timing.UploadNs / 1e9);
        s.Phases.ServerWait.Observe(timing.ServerWaitNs / 1e9);
        s.Phases.Download.Observe(timing.DownloadNs / 1e9);
    }

    /// <summary>Removes series of processes that are gone; returns how many.</summary>
    public int ExpireExitedProcesses(DateTime now)
    {
        lock (_sync)
        {
            return ExpireLocked(now);
        }
    }

    private int ExpireLocked(DateTime now)
    {
        List<SeriesKey>? gone = null;
        foreach (var (key, s) in _cache)
        {
            if (now - s.LastSeen >= _pidTtl && !_processAlive(key.Pid))
            {
                (gone ??= []).Add(key);
            }
        }

        if (gone is null)
        {
            return 0;
        }

        Interlocked.Increment(ref _generation);
        int removed = 0;
        foreach (var key in gone)
        {
            var expired = _cache[key];
            bool shared = expired.Overflow;
            _cache.Remove(key);
            if (shared)
            {
                // The _other series carries other processes too; only the cache entry goes.
                continue;
            }

            expired.Removed = true;
            removed++;
            _ownSeries--;
            string[] labels = key.Labels();
            foreach (var c in new Collector[] { _requests, _errors, _requestBytes, _responseBytes, _partial })
            {
                ((Counter)c).RemoveLabelled(labels);
            }

            _duration.RemoveLabelled(labels);
            _ttfb.RemoveLabelled(labels);
        }

        _expired.Inc(removed);
        _series.Set(_ownSeries);
        return removed;
    }

    private Series Resolve(SeriesKey key)
    {
        bool overflow = false;
        var actual = key;
        if (_ownSeries >= _maxSeries)
        {
            // The overflow series is cached under the original key too (up to a bound), so later requests of the same
            // process skip this path; such entries leave the cache when their process exits, the series stays.
            overflow = true;
            actual = key with { Comm = OverflowLabel, Pid = -1 };
        }

        string[] labels = actual.Labels();
        var phases = Phases(new PhaseKey(actual.Hostname, actual.Comm, actual.Operation, actual.Method));
        var s = new Series(
            key,
            _requests.WithLabels(labels), _errors.WithLabels(labels), _requestBytes.WithLabels(labels),
            _responseBytes.WithLabels(labels), _partial.WithLabels(labels), _duration.WithLabels(labels),
            _ttfb.WithLabels(labels), phases)
        {
            Overflow = overflow,
        };

        // Publish zero-valued error and part series with the request series so rate() works from the first error.
        s.Errors.Inc(0);
        s.Partial.Inc(0);
        if (!overflow)
        {
            _ownSeries++;
            _series.Set(_ownSeries);
            _cache[key] = s;
        }
        else if (_cache.Count < _maxSeries * 2)
        {
            _cache[key] = s;
        }

        return s;
    }

    private PhaseSeries Phases(PhaseKey key)
    {
        if (!_phaseCache.TryGetValue(key, out var p))
        {
            string[] labels = [key.Hostname, key.Comm, key.Operation, key.Method];
            p = new PhaseSeries(_upload.WithLabels(labels), _serverWait.WithLabels(labels), _download.WithLabels(labels));
            _phaseCache[key] = p;
        }

        return p;
    }

    private Counter.Child S3Error(string operation, string? code, int status)
    {
        string label = code is { Length: > 0 and <= 64 } && code.All(char.IsAsciiLetterOrDigit)
            ? code
            : status.ToString(CultureInfo.InvariantCulture);
        if (!_errorCache.TryGetValue((operation, label), out var child))
        {
            if (_errorCache.Count >= MaxErrorCodes)
            {
                label = OverflowLabel;
                if (_errorCache.TryGetValue((operation, label), out child))
                {
                    return child;
                }
            }

            child = _s3Errors.WithLabels(operation, label);
            _errorCache[(operation, label)] = child;
        }

        return child;
    }

    internal readonly record struct SeriesKey(string Hostname, string Comm, string Operation, string Method, int Pid)
    {
        public string[] Labels() =>
            [Hostname, Comm, Operation, Method, Pid < 0 ? OverflowLabel : Pid.ToString(CultureInfo.InvariantCulture)];
    }

    private readonly record struct PhaseKey(string Hostname, string Comm, string Operation, string Method);

    internal sealed record PhaseSeries(Histogram.Child Upload, Histogram.Child ServerWait, Histogram.Child Download);

    /// <summary>The Prometheus children of one label set.</summary>
    internal sealed record Series(
        SeriesKey Key,
        Counter.Child Requests, Counter.Child Errors, Counter.Child RequestBytes, Counter.Child ResponseBytes,
        Counter.Child Partial, Histogram.Child Duration, Histogram.Child Ttfb, PhaseSeries Phases)
    {
        public DateTime LastSeen { get; set; }

        public bool Overflow { get; init; }

        /// <summary>Set when the series was removed from the exposition; its children no longer count.</summary>
        public bool Removed { get; set; }
    }
}
