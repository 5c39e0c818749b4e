using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// What the connections running on one core record into: a statistics shard, the pending Prometheus deltas, and the
/// route table that finds both for an event. One per core rather than one per connection, so four collectors of a host
/// share one copy of each group's histograms on a 2-core machine instead of keeping four, and memory is bounded by
/// cores, not connections. Everything is guarded by the statistics shard's lock, taken once per frame.
/// </summary>
internal sealed class RecorderShard
{
    internal RecorderShard(StatsShard stats) => Stats = stats;

    internal StatsShard Stats { get; }

    internal Dictionary<RouteKey, Route> Routes { get; } = new(RouteKeyComparer.Instance);

    internal Dictionary<RequestMetrics.Series, SeriesDelta> Deltas { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The <see cref="RequestMetrics.Generation"/> the routes were built in.</summary>
    internal int Generation { get; set; }

    internal sealed record Route(OperationStats Stats, SeriesDelta Metrics);

    internal readonly record struct RouteKey(
        string Hostname, string Comm, string Operation, string Method, string StatusClass, string? Bucket, int Pid);

    /// <summary>
    /// Identity, not value: the decoder hands one string instance per distinct comm, method and host, and operations and
    /// status classes are constants, so the same few instances repeat for millions of events and hash in a few cycles.
    /// An equal string in another instance only costs one more route to the same group and series.
    /// </summary>
    private sealed class RouteKeyComparer : IEqualityComparer<RouteKey>
    {
        public static readonly RouteKeyComparer Instance = new();

        public bool Equals(RouteKey a, RouteKey b) =>
            a.Pid == b.Pid
            && ReferenceEquals(a.Comm, b.Comm)
            && ReferenceEquals(a.Operation, b.Operation)
            && ReferenceEquals(a.Method, b.Method)
            && ReferenceEquals(a.StatusClass, b.StatusClass)
            && ReferenceEquals(a.Hostname, b.Hostname)
            && ReferenceEquals(a.Bucket, b.Bucket);

        public int GetHashCode(RouteKey k) => HashCode.Combine(
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(k.Hostname),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(k.Comm),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(k.Operation),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(k.Method),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(k.StatusClass),
            k.Pid);
    }
}
