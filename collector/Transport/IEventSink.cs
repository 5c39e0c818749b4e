using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Transport;

/// <summary>Where the tracing side hands completed requests; the transport spools and forwards them.</summary>
public interface IEventSink
{
    /// <summary>
    /// Queues one request; never blocks the ring-buffer poller. <paramref name="origin"/> is the ring-buffer position of
    /// the record that started it, which identifies the request if the records are read again after a restart.
    /// </summary>
    void Publish(ulong origin, RequestEvent request);

    /// <summary>
    /// Ends one pass over the ring buffer: what was published since the last call can leave together. The poller
    /// calls it once per pass, so the sender wakes once per pass, not once per event.
    /// </summary>
    void Flush();

    /// <summary>Reports the kernel's cumulative count of events it could not hand over (ring buffer full).</summary>
    void ReportKernelLost(ulong totalLost);
}
