using Prometheus;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Metrics;

/// <summary>The aggregator's own health: what it received, refused and lost. Prometheus names are s3slower_*.</summary>
public sealed class SelfMetrics
{
    private readonly Counter _eventsReceived;
    private readonly Counter _framesRejected;
    private readonly Counter _peersRefused;
    private readonly Counter _eventsLost;
    private readonly Gauge _collectorsConnected;
    private readonly Counter _duplicates;
    private readonly Counter _logRecordsDropped;
    private readonly Counter _logWriteFailures;
    private readonly Lock _lossLock = new();

    // Last cumulative values per collector process: counters restart at 0 with each collector process, so the
    // exported series (labelled by host) advance by the difference and never go backwards.
    private readonly Dictionary<string, CollectorCounters> _lastCounters = new(StringComparer.Ordinal);

    public SelfMetrics()
        : this(Prometheus.Metrics.NewCustomRegistry())
    {
    }

    public SelfMetrics(CollectorRegistry registry)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        Registry = registry;
        _eventsReceived = factory.CreateCounter("s3slower_events_received_total", "Request events received from collectors.");
        _framesRejected = factory.CreateCounter("s3slower_ipc_frames_rejected_total", "Frames refused as malformed, oversized or out of place; the connection was closed.", "reason");
        _peersRefused = factory.CreateCounter("s3slower_ipc_peers_refused_total", "Connections refused because of the peer's credentials.");
        _eventsLost = factory.CreateCounter("s3slower_events_lost_total", "Requests collectors could not deliver, as they reported them.", "collector", "reason");
        _collectorsConnected = factory.CreateGauge("s3slower_collectors_connected", "Collectors connected now.");
        _duplicates = factory.CreateCounter("s3slower_duplicate_events_total", "Events received again after a reconnect and dropped.");
        _logRecordsDropped = factory.CreateCounter("s3slower_log_records_dropped_total", "Request records counted in metrics but never written to operations.jsonl (output unwritable too long).");
        _logWriteFailures = factory.CreateCounter("s3slower_log_write_failures_total", "Failed attempts to append to operations.jsonl.");
    }

    public CollectorRegistry Registry { get; }

    public void FrameRejected(string reason) => _framesRejected.WithLabels(reason).Inc();

    public void PeerRefused() => _peersRefused.Inc();

    public void CollectorConnected() => _collectorsConnected.Inc();

    public void CollectorDisconnected() => _collectorsConnected.Dec();

    public void EventsReceived(int count) => _eventsReceived.Inc(count);

    public void DuplicatesDropped(int count) => _duplicates.Inc(count);

    public void LogRecordsDropped(long count) => _logRecordsDropped.Inc(count);

    public void LogWriteFailed() => _logWriteFailures.Inc();

    /// <summary>Cumulative counters reported by one collector process.</summary>
    public void CollectorCountersReported(Hello collector, CollectorCounters counters)
    {
        lock (_lossLock)
        {
            _lastCounters.TryGetValue(collector.CollectorId, out var last);
            Advance(collector.Hostname, "ring_buffer_full", last?.KernelEventsLost ?? 0, counters.KernelEventsLost);
            Advance(collector.Hostname, "spool_dropped", last?.SpoolDropped ?? 0, counters.SpoolDropped);
            Advance(collector.Hostname, "malformed", last?.MalformedEvents ?? 0, counters.MalformedEvents);
            _lastCounters[collector.CollectorId] = counters;
        }
    }

    private void Advance(string host, string reason, ulong last, ulong now)
    {
        var child = _eventsLost.WithLabels(host, reason);
        if (now > last)
        {
            child.Inc(now - last);
        }
        else
        {
            // Make the series exist at 0 so alerts on increase() see it from the start.
            child.Inc(0);
        }
    }
}
