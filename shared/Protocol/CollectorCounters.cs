using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>Cumulative counters of one collector process; the aggregator exports them so loss is never silent.</summary>
[MessagePackObject]
public sealed record CollectorCounters(
    [property: Key(0)] ulong KernelEventsLost,
    [property: Key(1)] ulong SpoolDropped,
    [property: Key(2)] ulong MalformedEvents,
    [property: Key(3)] ulong RequestsSeen);
