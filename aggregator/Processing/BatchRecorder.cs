using System.Text;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// Counts batches the moment they arrive: scrubs and classifies them, then records statistics, Prometheus metrics and
/// screen rows, on the thread that read the batch while it is still in that core's cache. A frame is read and reduced
/// through its connection's <see cref="FrameScratch"/>, then recorded into the <see cref="RecorderShard"/> of the core
/// it runs on: two cores never share a lock or a counter, and however many collectors connect there is one copy of the
/// statistics per core. Statistics are merged when read; Prometheus deltas are applied before every scrape. Only the
/// operations log, which needs one order, is left to the aggregation loop.
/// </summary>
public sealed class BatchRecorder
{
    // Past this many routes a shard's table starts over: it is a cache, and identity keys of replaced decoder strings
    // (a reconnected collector's) would otherwise accumulate.
    private const int MaxRoutes = 1 << 16;

    // Events built and classified together before they are reduced: a chunk is all a garbage collection can find alive.
    private const int ChunkSize = 256;

    private readonly ProcessingOptions _options;
    private readonly ScrubbingClassifier _classifier;
    private readonly RequestMetrics _metrics;
    private readonly ScreenTable? _screen;
    private readonly S3RequestParts _countedParts;
    private readonly RecorderShard[] _shards;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _collectors = new(StringComparer.Ordinal);
    private long _eventsRecorded;

    public BatchRecorder(ProcessingOptions options, ScrubbingClassifier classifier, StatsStore stats, RequestMetrics metrics, ScreenTable? screen)
    {
        _options = options;
        _classifier = classifier;
        _metrics = metrics;
        _screen = screen;
        _countedParts = options.BucketLabels ? S3RequestParts.Bucket : S3RequestParts.None;
        _shards = new RecorderShard[Math.Max(1, Environment.ProcessorCount)];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new RecorderShard(stats.CreateShard()) { Generation = metrics.Generation };
        }

        metrics.BeforeScrape(ApplyMetrics);
    }

    public long EventsRecorded => Interlocked.Read(ref _eventsRecorded);

    /// <summary>Collector ids seen in this run (for the report metadata); safe to read from any thread.</summary>
    public IReadOnlyList<string> Collectors => [.. _collectors.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Classifies (unless the batch already is) and records every event.</summary>
    public void Record(IngestBatch batch)
    {
        if (batch.Recorded)
        {
            return;
        }

        var events = batch.Events;
        var requests = batch.Requests ?? batch.AttachRequests(_classifier.ClassifyAll(events));
        _collectors.TryAdd(batch.Collector.CollectorId, 0);
        var shard = EnterShard();
        try
        {
            StartFrame(shard);
            for (int i = 0; i < events.Count; i++)
            {
                RecordLocked(shard, batch.Collector.Hostname, new CountedRequest(events[i], requests[i]));
            }

            batch.MarkRecorded();
        }
        finally
        {
            shard.Stats.Lock.Exit();
        }

        Interlocked.Add(ref _eventsRecorded, events.Count);
    }

    /// <summary>
    /// Records the events of an opened frame from <paramref name="skip"/> on. Events are read <see cref="ChunkSize"/> at a
    /// time as <see cref="CountedEvent"/>s, classified from a reused buffer and reduced to <see cref="CountedRequest"/>s,
    /// so counting a frame allocates nothing once the connection's strings are cached (bucket names aside, when buckets
    /// are labels). Nothing is counted until the whole frame has been read: a malformed one throws
    /// <see cref="ProtocolException"/> with every shard unchanged.
    /// </summary>
    public void Record(FrameScratch scratch, Hello collector, EventBatchDecoder decoder, ReadOnlySpan<byte> body, in EventBatchHeader header, int skip)
    {
        int offset = header.EventsOffset;
        decoder.SkipEvents(body, ref offset, skip);
        int total = header.Count - skip;
        var rows = scratch.Frame;
        var events = scratch.Chunk(ChunkSize);
        for (int done = 0; done < total; done += ChunkSize)
        {
            int n = Math.Min(ChunkSize, total - done);
            decoder.ReadCountedEvents(body, ref offset, events.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                rows[done + i] = Reduce(scratch, decoder, body, events[i]);
            }
        }

        // The reused chunk must not keep the frame's last strings alive until the next frame.
        Array.Clear(events);

        decoder.Close(body, offset, header);
        _collectors.TryAdd(collector.CollectorId, 0);
        var shard = EnterShard();
        try
        {
            StartFrame(shard);
            for (int i = 0; i < total; i++)
            {
                RecordLocked(shard, collector.Hostname, rows[i]);
            }
        }
        finally
        {
            shard.Stats.Lock.Exit();
        }

        Interlocked.Add(ref _eventsRecorded, total);
    }

    /// <summary>
    /// Takes the lock of the current core's shard, or of another one that is free when a thread preempted on this core
    /// holds it: waiting would only leave the core idle. Waits for the core's own when all are taken.
    /// </summary>
    private RecorderShard EnterShard()
    {
        int first = Thread.GetCurrentProcessorId() % _shards.Length;
        for (int i = 0; i < _shards.Length; i++)
        {
            var shard = _shards[(first + i) % _shards.Length];
            if (shard.Stats.Lock.TryEnter())
            {
                return shard;
            }
        }

        _shards[first].Stats.Lock.Enter();
        return _shards[first];
    }

    private CountedRequest Reduce(FrameScratch scratch, EventBatchDecoder decoder, ReadOnlySpan<byte> body, in CountedEvent e)
    {
        var utf8 = e.Target(body);
        var target = scratch.TargetBuffer(Encoding.UTF8.GetMaxCharCount(utf8.Length));
        target = target[..Encoding.UTF8.GetChars(utf8, target)];
        var headers = decoder.ReadHeaders(body, e, scratch.Headers, S3Classifier.HeadersRead) ? scratch.Headers : null;
        var request = _classifier.Classify(e.Method, target, e.Host, headers, _countedParts);
        return new CountedRequest(e, request);
    }

    /// <summary>Applies every shard's pending Prometheus deltas; runs before each scrape.</summary>
    public void ApplyMetrics()
    {
        var now = DateTime.UtcNow;
        foreach (var shard in _shards)
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
    private void StartFrame(RecorderShard shard)
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

    private void RecordLocked(RecorderShard shard, string hostname, in CountedRequest r)
    {
        var route = RouteOf(shard, hostname, r);
        route.Stats.Record(r.Status, r.RequestBytes, r.ResponseBytes, r.Timing);
        route.Metrics.Add(r.Status, r.ErrorCode, r.PartNumber is not null, r.RequestBytes, r.ResponseBytes, r.Timing);
        if (_screen is not null && r.Timing.TotalNs >= _options.MinLatencyNs)
        {
            _screen.Add(r.Comm, r.Pid, r.Operation, IsPart(r.Operation) ? r.PartNumber : null,
                r.Status, r.RequestBytes, r.ResponseBytes, r.Timing.TotalNs);
        }
    }

    private static bool IsPart(string operation) => operation.StartsWith("UploadPart", StringComparison.Ordinal);

    private RecorderShard.Route RouteOf(RecorderShard shard, string hostname, in CountedRequest r)
    {
        string statusClass = StatsKey.ClassOf(r.Status);
        string? bucket = _options.BucketLabels ? r.Bucket : null;
        var key = new RecorderShard.RouteKey(hostname, r.Comm, r.Operation, r.Method, statusClass, bucket, r.Pid);
        if (shard.Routes.TryGetValue(key, out var route))
        {
            return route;
        }

        var stats = shard.Stats.GroupFor(new StatsKey(hostname, r.Comm, r.Operation, r.Method, statusClass, bucket), out bool overflowed);
        var series = _metrics.SeriesFor(hostname, r.Comm, r.Pid, r.Operation, r.Method);
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
