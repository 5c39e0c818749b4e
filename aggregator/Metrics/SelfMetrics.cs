using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Metrics;

/// <summary>The aggregator's own health: what it received, refused and lost. Prometheus names are s3slower_*.</summary>
public sealed class SelfMetrics
{
    public void FrameRejected(string reason) => _ = reason;

    public void PeerRefused() { }

    public void CollectorConnected() { }

    public void CollectorDisconnected() { }

    public void EventsReceived(int count) => _ = count;

    public void DuplicatesDropped(int count) => _ = count;

    /// <summary>Cumulative counters reported by one collector process.</summary>
    public void CollectorCountersReported(Hello collector, CollectorCounters counters)
    {
        _ = collector;
        _ = counters;
    }
}
