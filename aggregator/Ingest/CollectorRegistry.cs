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
        ulong next = NextSequence(collectorId);
        ulong end = firstSequence + (ulong)count;
        if (end <= next)
        {
            return count;
        }

        int skip = firstSequence >= next ? 0 : (int)(next - firstSequence);
        _next[collectorId] = end;
        return skip;
    }

    public int Count => _next.Count;
}
