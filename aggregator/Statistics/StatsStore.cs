namespace S3Slower.Aggregator.Statistics;

/// <summary>
/// Statistics per <see cref="StatsKey"/> for the whole run. The aggregation loop records under <see cref="Lock"/> once
/// per batch; reports take the same lock. Past <see cref="MaxKeys"/> groups, new groups fold into one overflow group
/// per host and operation, so a flood of bucket names cannot exhaust memory.
/// </summary>
public sealed class StatsStore
{
    public const string OverflowComm = "_other";

    private readonly Dictionary<StatsKey, OperationStats> _groups = [];

    public StatsStore(int maxKeys = 10_000) => MaxKeys = maxKeys;

    public Lock Lock { get; } = new();

    public int MaxKeys { get; }

    public long OverflowedRequests { get; private set; }

    /// <summary>Call with <see cref="Lock"/> held.</summary>
    public void Record(in StatsKey key, int status, long requestBytes, long responseBytes, in RequestTiming timing) =>
        GroupFor(key, out _).Record(status, requestBytes, responseBytes, timing);

    /// <summary>
    /// The group that counts requests of <paramref name="key"/>, created on first use, or the overflow group (then
    /// <paramref name="overflowed"/>, and the request is counted in <see cref="OverflowedRequests"/>). Call with
    /// <see cref="Lock"/> held.
    /// </summary>
    public OperationStats GroupFor(in StatsKey key, out bool overflowed)
    {
        overflowed = false;
        if (!_groups.TryGetValue(key, out var stats))
        {
            var target = key;
            if (_groups.Count >= MaxKeys)
            {
                OverflowedRequests++;
                overflowed = true;
                target = new StatsKey(key.Hostname, OverflowComm, key.Operation, OverflowComm, OverflowComm, null);
            }

            if (!_groups.TryGetValue(target, out stats))
            {
                stats = new OperationStats();
                _groups[target] = stats;
            }
        }

        return stats;
    }

    /// <summary>A copy of the groups, sorted by host, comm, operation; taken under the lock.</summary>
    public IReadOnlyList<KeyValuePair<StatsKey, OperationStats>> Snapshot()
    {
        lock (Lock)
        {
            var copy = new List<KeyValuePair<StatsKey, OperationStats>>(_groups.Count);
            foreach (var (key, stats) in _groups)
            {
                var clone = new OperationStats();
                clone.Merge(stats);
                copy.Add(new(key, clone));
            }

            copy.Sort(static (a, b) => Compare(a.Key, b.Key));
            return copy;
        }
    }

    private static int Compare(StatsKey a, StatsKey b)
    {
        int c = string.CompareOrdinal(a.Hostname, b.Hostname);
        c = c != 0 ? c : string.CompareOrdinal(a.Comm, b.Comm);
        c = c != 0 ? c : string.CompareOrdinal(a.Operation, b.Operation);
        c = c != 0 ? c : string.CompareOrdinal(a.Method, b.Method);
        c = c != 0 ? c : string.CompareOrdinal(a.StatusClass, b.StatusClass);
        return c != 0 ? c : string.CompareOrdinal(a.Bucket, b.Bucket);
    }
}
