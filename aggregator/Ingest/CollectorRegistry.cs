using System.Collections.Concurrent;

namespace S3Slower.Aggregator.Ingest;

/// <summary>
/// The next expected sequence number of every collector id seen by this aggregator (and, after a restart, found in
/// the operations log). It outlives connections, so a collector that reconnects and resends is deduplicated.
/// </summary>
public sealed class CollectorRegistry
{
    private readonly ConcurrentDictionary<string, ulong> _next = new(StringComparer.Ordinal);

    public ulong NextSequence(string collectorId) => _next.TryGetValue(collectorId, out ulong next) ? next : 0;

    public void Recover(IReadOnlyDictionary<string, ulong> nextSequenceByCollector)
    {
        foreach (var (id, next) in nextSequenceByCollector)
        {
            _next.AddOrUpdate(id, next, (_, current) => Math.Max(current, next));
        }
    }

    /// <summary>
    /// Decides which events of a batch are new. Only one connection per collector id is served at a time, so no
    /// two callers race for the same id.
    /// </summary>
    /// <returns>How many leading events are duplicates to skip; equal to <paramref name="count"/> when all are.</returns>
    public int Admit(string collectorId, ulong firstSequence, int count)
    {
        int skip = DuplicatesOf(collectorId, firstSequence, count);
        Commit(collectorId, firstSequence, count);
        return skip;
    }

    /// <summary>How many leading events of a batch are already stored, without admitting it.</summary>
    public int DuplicatesOf(string collectorId, ulong firstSequence, int count)
    {
        ulong next = NextSequence(collectorId);
        return firstSequence + (ulong)count <= next ? count : firstSequence >= next ? 0 : (int)(next - firstSequence);
    }

    /// <summary>Records that every event of the batch is stored.</summary>
    public void Commit(string collectorId, ulong firstSequence, int count)
    {
        ulong end = firstSequence + (ulong)count;
        if (end > NextSequence(collectorId))
        {
            _next[collectorId] = end;
        }
    }

    public int Count => _next.Count;
}
