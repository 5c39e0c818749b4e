namespace S3Slower.Shared.Protocol;

/// <summary>The first element of every frame; says how to read the second.</summary>
public enum FrameType
{
    /// <summary>Collector → aggregator, first frame of a connection.</summary>
    Hello = 1,

    /// <summary>Collector → aggregator: a batch of completed requests.</summary>
    Events = 2,

    /// <summary>Collector → aggregator: cumulative loss and health counters.</summary>
    Counters = 3,

    /// <summary>Aggregator → collector: the answer to <see cref="Hello"/>.</summary>
    HelloAck = 4,

    /// <summary>Aggregator → collector: every sequence number below the given one is stored.</summary>
    Ack = 5,
}
