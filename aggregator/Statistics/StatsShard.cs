namespace S3Slower.Aggregator.Statistics;

/// <summary>
/// The groups one writer (the connections running on one core) records into, under its own <see cref="Lock"/>, so writers on
/// different cores never share a lock or a cache line; <see cref="StatsStore"/> merges the shards when it is read.
/// Past the store's cap, new groups fold into one overflow group per host and operation.
/// </summary>
public sealed class StatsShard
{
    private readonly Dictionary<StatsKey, OperationStats> _groups = [];
    private readonly int _maxKeys;

    internal StatsShard(int maxKeys) => _maxKeys = maxKeys;

    public Lock Lock { get; } = new();

    /// <summary>Requests counted in an overflow group. Read under <see cref="Lock"/>.</summary>
    public long OverflowedRequests { get; private set; }

    internal IReadOnlyDictionary<StatsKey, OperationStats> Groups => _groups;

    /// <summary>
    /// The group that counts requests of <paramref name="key"/>, created on first use, or the overflow group (then
    /// <paramref name="overflowed"/>, and the request is counted in <see cref="OverflowedRequests"/>). Call with
    /// <see cref="Lock"/> held.
    /// </summary>
    public OperationStats GroupFor(in StatsKey key, out bool overflowed)
    {
        overflowed = false;
        if (_groups.TryGetValue(key, out var stats))
        {
            return stats;
        }

        var target = key;
        if (_groups.Count >= _maxKeys)
        {
            OverflowedRequests++;
            overflowed = true;
            target = new StatsKey(key.Hostname, StatsStore.OverflowComm, key.Operation, StatsStore.OverflowComm, StatsStore.OverflowComm, null);
        }

        if (!_groups.TryGetValue(target, out stats))
        {
            stats = new OperationStats();
            _groups[target] = stats;
        }

        return stats;
    }
}
