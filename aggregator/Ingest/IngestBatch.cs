using S3Slower.Aggregator.Classification;
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
        : this(collector, firstSequence, events, null, onStored)
    {
    }

    /// <summary>With <see cref="Requests"/>: the events already scrubbed and classified (same order), or null to leave it to the loop.</summary>
    public IngestBatch(Hello collector, ulong firstSequence, IReadOnlyList<RequestEvent> events, IReadOnlyList<S3Request>? requests, Action<ulong>? onStored)
    {
        if (requests is not null && requests.Count != events.Count)
        {
            throw new ArgumentException("one classification per event", nameof(requests));
        }

        Requests = requests;
        Collector = collector;
        FirstSequence = firstSequence;
        Events = events;
        _onStored = onStored;
    }

    public Hello Collector { get; }

    public ulong FirstSequence { get; }

    public IReadOnlyList<RequestEvent> Events { get; }

    /// <summary>What each event was classified as by the connection, or null when the loop classifies.</summary>
    public IReadOnlyList<S3Request>? Requests { get; }

    /// <summary>Sequence number of the event at <paramref name="index"/>.</summary>
    public ulong SequenceAt(int index) => FirstSequence + (ulong)index;

    public void MarkStored() => _onStored?.Invoke(FirstSequence + (ulong)Events.Count);
}
