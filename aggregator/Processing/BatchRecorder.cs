using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// Counts batches the moment they arrive: scrubs and classifies them, then records statistics, Prometheus metrics and
/// screen rows. Each collector connection records into a <see cref="RecorderShard"/> of its own, on its own thread,
/// while the batch is still in that core's cache: two connections use two cores without sharing a lock or a counter.
/// Statistics are merged when read; Prometheus deltas are applied before every scrape. Only the operations log, which
/// needs one order, is left to the aggregation loop.
/// </summary>
public sealed class BatchRecorder
{
    // Past this many routes a shard's table starts over: it is a cache, and identity keys of replaced decoder strings
    // would otherwise accumulate.
    private const int MaxRoutes = 1 << 16;

    // Events built, classified and recorded together: small enough that a chunk is all a garbage collection can find
    // alive, large enough that the shard's lock is taken once per many events.
    private const int ChunkSize = 256;

    private readonly ProcessingOptions _options;
    private readonly ScrubbingClassifier _classifier;
    private readonly StatsStore _stats;
    private readonly RequestMetrics _metrics;
    private readonly ScreenTable? _screen;
    private readonly S3RequestParts _countedParts;
    private readonly Lock _shardsLock = new();
    private readonly List<RecorderShard> _shards = [];
    private readonly RecorderShard _default;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _collectors = new(StringComparer.Ordinal);
    private long _eventsRecorded;

    public BatchRecorder(ProcessingOptions options, ScrubbingClassifier classifier, StatsStore stats, RequestMetrics metrics, ScreenTable? screen)
    {
        _options = options;
        _classifier = classifier;
        _stats = stats;
        _metrics = metrics;
        _screen = screen;
        _countedParts = options.BucketLabels ? S3RequestParts.Bucket : S3RequestParts.None;
        _default = OpenShard();
        metrics.BeforeScrape(ApplyMetrics);
    }

    public long EventsRecorded => Interlocked.Read(ref _eventsRecorded);

    /// <summary>Collector ids seen in this run (for the report metadata); safe to read from any thread.</summary>
    public IReadOnlyList<string> Collectors => [.. _collectors.Keys.Order(StringComparer.Ordinal)];

    /// <summary>A shard for one writer; hand it back with <see cref="CloseShard"/>.</summary>
    public RecorderShard OpenShard()
    {
        var shard = new RecorderShard(_stats.CreateShard()) { Generation = _metrics.Generation };
        lock (_shardsLock)
        {
            _shards.Add(shard);
        }

        return shard;
    }

    /// <summary>Applies what the shard still holds and merges its statistics into the store's; nothing is lost.</summary>
    public void CloseShard(RecorderShard shard)
    {
        lock (_shardsLock)
        {
            _shards.Remove(shard);
        }

        lock (shard.Stats.Lock)
        {
            ApplyLocked(shard, DateTime.UtcNow);
        }

        _stats.Retire(shard.Stats);
    }

    /// <summary>Classifies (unless the batch already is) and records every event, in <paramref name="shard"/> or the default one.</summary>
    public void Record(IngestBatch batch, RecorderShard? shard = null)
    {
        if (batch.Recorded)
        {
            return;
        }

        shard ??= _default;
        var events = batch.Events;
        var requests = batch.Requests ?? batch.AttachRequests(_classifier.ClassifyAll(events));
        _collectors.TryAdd(batch.Collector.CollectorId, 0);
        lock (shard.Stats.Lock)
        {
            StartChunk(shard);
            for (int i = 0; i < events.Count; i++)
            {
                RecordLocked(shard, batch.Collector.Hostname, events[i], requests[i]);
            }

            batch.MarkRecorded();
        }

        Interlocked.Add(ref _eventsRecorded, events.Count);
    }

    /// <summary>
    /// Records the events of a validated frame from <paramref name="skip"/> on into <paramref name="shard"/>, building
    /// and classifying <see cref="ChunkSize"/> at a time, so nothing of the frame outlives its chunk. Builds only what
    /// counting needs: no request ids, no object keys, buckets only for bucket labels.
    /// </summary>
    public void Record(RecorderShard shard, Hello collector, EventBatchDecoder decoder, ReadOnlySpan<byte> body, in EventBatchHeader header, int skip)
    {
        _collectors.TryAdd(collector.CollectorId, 0);
        int offset = header.EventsOffset;
        decoder.SkipEvents(body, ref offset, skip);
        int remaining = header.Count - skip;
        int size = Math.Min(ChunkSize, remaining);
        var events = new RequestEvent[size];
        var requests = new S3Request[size];
        while (remaining > 0)
        {
            int n = Math.Min(size, remaining);
            decoder.ReadEvents(body, ref offset, events.AsSpan(0, n), withIds: false);
            _classifier.ClassifyAll(events.AsSpan(0, n), requests.AsSpan(0, n), _countedParts);
            lock (shard.Stats.Lock)
            {
                StartChunk(shard);
                for (int i = 0; i < n; i++)
                {
                    RecordLocked(shard, collector.Hostname, events[i], requests[i]);
                }
            }

            remaining -= n;
        }

        Interlocked.Add(ref _eventsRecorded, header.Count - skip);
    }

    /// <summary>Applies every shard's pending Prometheus deltas; runs before each scrape.</summary>
    public void ApplyMetrics()
    {
        RecorderShard[] shards;
        lock (_shardsLock)
        {
            shards = [.. _shards];
        }

        var now = DateTime.UtcNow;
        foreach (var shard in shards)
        {
            lock (shard.Stats.Lock)
            {
                ApplyLocked(shard, now);
            }
        }
    }

    /// <summary>Periodic housekeeping: expire the series of exited processes (after applying what is pending, so a
    /// series that just counted requests is seen as alive).</summary>
    public void Tick(DateTime now)
    {
        ApplyMetrics();
        _metrics.ExpireExitedProcesses(now);
    }

    private void ApplyLocked(RecorderShard shard, DateTime now)
    {
        foreach (var delta in shard.Deltas.Values)
        {
            _metrics.Apply(delta, now);
        }
    }

    // Series removed since the routes were built must not be recorded into: apply what is pending (re-creating such a
    // series), then start the tables over.
    private void StartChunk(RecorderShard shard)
    {
        int generation = _metrics.Generation;
        if (shard.Generation != generation || shard.Routes.Count >= MaxRoutes)
        {
            ApplyLocked(shard, DateTime.UtcNow);
            shard.Routes.Clear();
            shard.Deltas.Clear();
            shard.Generation = generation;
        }
    }

    private void RecordLocked(RecorderShard shard, string hostname, RequestEvent e, S3Request request)
    {
        var timing = RequestTiming.From(e);
        var route = RouteOf(shard, hostname, e.Comm, e.Pid, request, e.Method, e.Status);
        route.Stats.Record(e.Status, e.RequestBodyBytes, e.ResponseBodyBytes, timing);
        route.Metrics.Add(e.Status, e.ErrorCode, request.PartNumber is not null, e.RequestBodyBytes, e.ResponseBodyBytes, timing);
        if (_screen is not null && timing.TotalNs >= _options.MinLatencyNs)
        {
            _screen.Add(e.Comm, e.Pid, request.Operation, IsPart(request) ? request.PartNumber : null,
                e.Status, e.RequestBodyBytes, e.ResponseBodyBytes, timing.TotalNs);
        }
    }

    private static bool IsPart(S3Request request) => request.Operation.StartsWith("UploadPart", StringComparison.Ordinal);

    private RecorderShard.Route RouteOf(RecorderShard shard, string hostname, string comm, int pid, S3Request request, string method, int status)
    {
        string statusClass = StatsKey.ClassOf(status);
        string? bucket = _options.BucketLabels ? request.Bucket : null;
        var key = new RecorderShard.RouteKey(hostname, comm, request.Operation, method, statusClass, bucket, pid);
        if (shard.Routes.TryGetValue(key, out var route))
        {
            return route;
        }

        var stats = shard.Stats.GroupFor(new StatsKey(hostname, comm, request.Operation, method, statusClass, bucket), out bool overflowed);
        var series = _metrics.SeriesFor(hostname, comm, pid, request.Operation, method);
        if (!shard.Deltas.TryGetValue(series, out var delta))
        {
            delta = new SeriesDelta(series);
            shard.Deltas[series] = delta;
        }

        route = new RecorderShard.Route(stats, delta);

        // A bucket name is a fresh string per request: keying a route by its identity would only fill the table.
        // Overflowing requests take this path every time, so each is counted as one.
        if (bucket is null && !overflowed)
        {
            shard.Routes[key] = route;
        }

        return route;
    }
}
