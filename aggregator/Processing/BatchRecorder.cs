using System.Runtime.CompilerServices;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// Counts a batch the moment it arrives: scrubs and classifies it (in parallel, on the caller's thread), then records
/// statistics, Prometheus metrics and screen rows under one lock. Connections call it themselves, so a batch is
/// decoded, classified and recorded by one thread while it is still in that core's cache, and two connections use two
/// cores; only the operations log, which needs one order, is left to the aggregation loop.
/// </summary>
/// <remarks>
/// Each event needs its statistics group and its Prometheus series, both found by value-hashing several strings. The
/// strings come from the connection's decoder cache and the classifier's constants, so the same few instances repeat
/// for millions of events: a route table keyed by their identity finds both in one lookup, and falls back to the
/// value-keyed tables (which own the caps and the overflow folding) for an instance it has not seen.
/// </remarks>
public sealed class BatchRecorder
{
    // Past this many routes the table starts over: it is a cache, and identity keys of evicted decoder strings would
    // otherwise accumulate.
    private const int MaxRoutes = 1 << 16;

    // Events built, classified and recorded together: small enough that a chunk is all a garbage collection can find
    // alive, large enough that the lock is taken once per many events.
    private const int ChunkSize = 256;

    private readonly ProcessingOptions _options;
    private readonly ScrubbingClassifier _classifier;
    private readonly StatsStore _stats;
    private readonly RequestMetrics _metrics;
    private readonly ScreenTable? _screen;
    private readonly Dictionary<RouteKey, Route> _routes = new(RouteKeyComparer.Instance);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _collectors = new(StringComparer.Ordinal);
    private int _routesGeneration;
    private long _eventsRecorded;

    public BatchRecorder(ProcessingOptions options, ScrubbingClassifier classifier, StatsStore stats, RequestMetrics metrics, ScreenTable? screen)
    {
        _options = options;
        _classifier = classifier;
        _stats = stats;
        _metrics = metrics;
        _screen = screen;
    }

    public long EventsRecorded => Interlocked.Read(ref _eventsRecorded);

    /// <summary>Collector ids seen in this run (for the report metadata); safe to read from any thread.</summary>
    public IReadOnlyList<string> Collectors => [.. _collectors.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Classifies (unless the batch already is) and records every event; safe to call from any thread.</summary>
    public void Record(IngestBatch batch)
    {
        if (batch.Recorded)
        {
            return;
        }

        var events = batch.Events;
        var requests = batch.Requests ?? batch.AttachRequests(_classifier.ClassifyAll(events));
        _collectors.TryAdd(batch.Collector.CollectorId, 0);
        var now = DateTime.UtcNow;
        lock (_stats.Lock)
        {
            for (int i = 0; i < events.Count; i++)
            {
                RecordLocked(batch.Collector.Hostname, events[i], requests[i], now);
            }

            batch.MarkRecorded();
        }

        Interlocked.Add(ref _eventsRecorded, events.Count);
    }

    /// <summary>
    /// Records the events of a validated frame from <paramref name="skip"/> on, building and classifying
    /// <see cref="ChunkSize"/> at a time, so nothing of the frame outlives its chunk; safe to call from any thread.
    /// </summary>
    public void Record(Hello collector, EventBatchDecoder decoder, ReadOnlySpan<byte> body, in EventBatchHeader header, int skip)
    {
        _collectors.TryAdd(collector.CollectorId, 0);
        int offset = header.EventsOffset;
        decoder.SkipEvents(body, ref offset, skip);
        int remaining = header.Count - skip;
        int size = Math.Min(ChunkSize, remaining);
        var events = new RequestEvent[size];
        var requests = new S3Request[size];
        var now = DateTime.UtcNow;
        while (remaining > 0)
        {
            int n = Math.Min(size, remaining);
            decoder.ReadEvents(body, ref offset, events.AsSpan(0, n));
            _classifier.ClassifyAll(events.AsSpan(0, n), requests.AsSpan(0, n));
            lock (_stats.Lock)
            {
                for (int i = 0; i < n; i++)
                {
                    RecordLocked(collector.Hostname, events[i], requests[i], now);
                }
            }

            remaining -= n;
        }

        Interlocked.Add(ref _eventsRecorded, header.Count - skip);
    }

    /// <summary>Periodic housekeeping: expire the series of exited processes.</summary>
    public void Tick(DateTime now)
    {
        lock (_stats.Lock)
        {
            _metrics.ExpireExitedProcesses(now);
        }
    }

    private void RecordLocked(string hostname, RequestEvent e, S3Request request, DateTime now)
    {
        if (_routesGeneration != _metrics.Generation || _routes.Count >= MaxRoutes)
        {
            _routes.Clear();
            _routesGeneration = _metrics.Generation;
        }

        var timing = RequestTiming.From(e);
        var route = RouteOf(hostname, e.Comm, e.Pid, request, e.Method, e.Status);
        route.Stats.Record(e.Status, e.RequestBodyBytes, e.ResponseBodyBytes, timing);
        _metrics.Record(route.Series, request.Operation, e.Status, e.ErrorCode, request.PartNumber is not null,
            e.RequestBodyBytes, e.ResponseBodyBytes, timing, now);
        if (_screen is not null && timing.TotalNs >= _options.MinLatencyNs)
        {
            _screen.Add(e.Comm, e.Pid, request.Operation, IsPart(request) ? request.PartNumber : null,
                e.Status, e.RequestBodyBytes, e.ResponseBodyBytes, timing.TotalNs);
        }
    }

    private static bool IsPart(S3Request request) => request.Operation.StartsWith("UploadPart", StringComparison.Ordinal);

    private Route RouteOf(string hostname, string comm, int pid, S3Request request, string method, int status)
    {
        string statusClass = StatsKey.ClassOf(status);
        string? bucket = _options.BucketLabels ? request.Bucket : null;
        var key = new RouteKey(hostname, comm, request.Operation, method, statusClass, bucket, pid);
        if (!_routes.TryGetValue(key, out var route))
        {
            route = new Route(
                _stats.GroupFor(new StatsKey(hostname, comm, request.Operation, method, statusClass, bucket), out bool overflowed),
                _metrics.SeriesFor(hostname, comm, pid, request.Operation, method));

            // A bucket name is a fresh string per request: keying a route by its identity would only fill the table.
            // Overflowing requests take this path every time, so each is counted as one.
            if (bucket is null && !overflowed)
            {
                _routes[key] = route;
            }
        }

        return route;
    }

    private sealed record Route(OperationStats Stats, RequestMetrics.Series Series);

    private readonly record struct RouteKey(
        string Hostname, string Comm, string Operation, string Method, string StatusClass, string? Bucket, int Pid);

    private sealed class RouteKeyComparer : IEqualityComparer<RouteKey>
    {
        public static readonly RouteKeyComparer Instance = new();

        public bool Equals(RouteKey a, RouteKey b) =>
            a.Pid == b.Pid
            && ReferenceEquals(a.Comm, b.Comm)
            && ReferenceEquals(a.Operation, b.Operation)
            && ReferenceEquals(a.Method, b.Method)
            && ReferenceEquals(a.StatusClass, b.StatusClass)
            && ReferenceEquals(a.Hostname, b.Hostname)
            && ReferenceEquals(a.Bucket, b.Bucket);

        public int GetHashCode(RouteKey k) => HashCode.Combine(
            RuntimeHelpers.GetHashCode(k.Hostname), RuntimeHelpers.GetHashCode(k.Comm), RuntimeHelpers.GetHashCode(k.Operation),
            RuntimeHelpers.GetHashCode(k.Method), RuntimeHelpers.GetHashCode(k.StatusClass), k.Pid);
    }
}
