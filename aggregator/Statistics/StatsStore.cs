namespace S3Slower.Aggregator.Statistics;

/// <summary>
/// Statistics per <see cref="StatsKey"/> for the whole run, kept in shards that live as long as the store: each writer
/// (one per core) records into its own (<see cref="CreateShard"/>), so a collector that disconnects or reconnects never
/// resets or loses a count. Reads merge every shard. Callers without a shard of their own use the store's default one
/// through <see cref="Record"/> under <see cref="Lock"/>.
/// </summary>
public sealed class StatsStore
{
    public const string OverflowComm = "_other";

    // Guards the shard list; taken before any shard's lock, never while holding one.
    private readonly Lock _shardsLock = new();
    private readonly List<StatsShard> _shards = [];
    private readonly StatsShard _default;

    public StatsStore(int maxKeys = 10_000)
    {
        MaxKeys = maxKeys;
        _default = CreateShard();
    }

    /// <summary>The default shard's lock, to hold around <see cref="Record"/>.</summary>
    public Lock Lock => _default.Lock;

    /// <summary>Groups per shard before new ones fold into an overflow group.</summary>
    public int MaxKeys { get; }

    public long OverflowedRequests => Sum(static s => s.OverflowedRequests);

    /// <summary>Records into the default shard; call with <see cref="Lock"/> held.</summary>
    public void Record(in StatsKey key, int status, long requestBytes, long responseBytes, in RequestTiming timing) =>
        _default.GroupFor(key, out _).Record(status, requestBytes, responseBytes, timing);

    public StatsShard CreateShard()
    {
        var shard = new StatsShard(MaxKeys);
        lock (_shardsLock)
        {
            _shards.Add(shard);
        }

        return shard;
    }

    /// <summary>A merged copy of the groups, sorted by host, comm, operation.</summary>
    public IReadOnlyList<KeyValuePair<StatsKey, OperationStats>> Snapshot()
    {
        var merged = new Dictionary<StatsKey, OperationStats>();
        lock (_shardsLock)
        {
            foreach (var shard in _shards)
            {
                lock (shard.Lock)
                {
                    foreach (var (key, stats) in shard.Groups)
                    {
                        if (!merged.TryGetValue(key, out var copy))
                        {
                            copy = new OperationStats();
                            merged[key] = copy;
                        }

                        copy.Merge(stats);
                    }
                }
            }
        }

        var list = merged.ToList();
        list.Sort(static (a, b) => Compare(a.Key, b.Key));
        return list;
    }

    private long Sum(Func<StatsShard, long> value)
    {
        long total = 0;
        lock (_shardsLock)
        {
            foreach (var shard in _shards)
            {
                lock (shard.Lock)
                {
                    total += value(shard);
                }
            }
        }

        return total;
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
