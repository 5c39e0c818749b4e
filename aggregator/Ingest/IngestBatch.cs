using S3Slower.Aggregator.Classification;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Ingest;

/// <summary>
/// Events of one collector, in sequence order, handed from a connection to the aggregation loop.
/// It is counted (<see cref="Processing.BatchRecorder"/>) when it arrives; <see cref="MarkStored"/> follows once the
/// batch is durable in the operations log (or at once, when no log is written), which lets the connection acknowledge
/// it to the collector.
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

    /// <summary>What each event was classified as (set when it is counted), or null before.</summary>
    public IReadOnlyList<S3Request>? Requests { get; private set; }

    /// <summary>True once statistics and metrics hold the batch; it must not be counted twice.</summary>
    public bool Recorded { get; private set; }

    /// <summary>Sequence number of the event at <paramref name="index"/>.</summary>
    public ulong SequenceAt(int index) => FirstSequence + (ulong)index;

    /// <summary>Keeps the classification of the events (one per event, same order) and returns it.</summary>
    public IReadOnlyList<S3Request> AttachRequests(IReadOnlyList<S3Request> requests)
    {
        if (requests.Count != Events.Count)
        {
            throw new ArgumentException("one classification per event", nameof(requests));
        }

        Requests = requests;
        return requests;
    }

    public void MarkRecorded() => Recorded = true;

    public void MarkStored() => _onStored?.Invoke(FirstSequence + (ulong)Events.Count);
}
