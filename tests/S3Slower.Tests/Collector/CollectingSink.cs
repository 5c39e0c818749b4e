using System.Collections.Concurrent;
using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Tracing;

internal sealed class CollectingSink : IEventSink
{
    public ConcurrentQueue<RequestEvent> Events { get; } = new();

    public ulong Lost { get; private set; }

    public void Publish(ulong origin, RequestEvent request) => Events.Enqueue(request);

    public void Flush()
    {
    }

    public void ReportKernelLost(ulong totalLost) => Lost = totalLost;
}
