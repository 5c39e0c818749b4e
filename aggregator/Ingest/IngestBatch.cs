using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Ingest;

/// <summary>
/// Events of one collector, in sequence order, handed from a connection to the aggregation loop.
/// The loop calls <see cref="MarkStored"/> once the batch is durable in the operations log (or counted, when no
/// log is written), which lets the connection acknowledge it to the collector.
/// </summary>
public sealed class IngestBatch
{
    private readonly Action<ulong>? _onStored;

    public IngestBatch(Hello collector, ulong firstSequence, IReadOnlyList<RequestEvent> events, Action<ulong>? onStored)
    {
        Collector = collector;
        FirstSequence = firstSequence;
        Events = events;
        _onStored = onStored;
    }

    public Hello Collector { get; }

    public ulong FirstSequence { get; }

    public IReadOnlyList<RequestEvent> Events { get; }

    /// <summary>Sequence number of the event at <paramref name="index"/>.</summary>
    public ulong SequenceAt(int index) => FirstSequence + (ulong)index;

    public void MarkStored() => _onStored?.Invoke(FirstSequence + (ulong)Events.Count);
}
