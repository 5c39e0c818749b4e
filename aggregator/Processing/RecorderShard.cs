using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// What one writer of <see cref="BatchRecorder"/> (a collector connection) records into: its statistics shard, its
/// pending Prometheus deltas, and the route table that finds both for an event. All of it is guarded by the statistics
/// shard's lock, which only the owner takes, once per frame (readers take it once per scrape or report).
/// </summary>
public sealed class RecorderShard
{
    // Longer targets grow the buffer once; the collector copies at most a few KiB of request head.
    private const int InitialTargetChars = 2048;

    private CountedRequest[]? _frame;
    private CountedEvent[]? _events;
    private char[] _target = new char[InitialTargetChars];

    internal RecorderShard(StatsShard stats) => Stats = stats;

    internal StatsShard Stats { get; }

    /// <summary>A frame's requests, reduced before any is counted; reused frame after frame (allocated on first use).</summary>
    internal CountedRequest[] Frame => _frame ??= new CountedRequest[ProtocolConstants.MaxEventsPerBatch];

    /// <summary>The chunk of events being read; reused like <see cref="Frame"/>.</summary>
    internal CountedEvent[] Chunk(int size) => _events ??= new CountedEvent[size];

    /// <summary>An event's headers while it is classified; reused.</summary>
    internal Dictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);

    /// <summary>A buffer for <paramref name="chars"/> characters of request target; reused.</summary>
    internal Span<char> TargetBuffer(int chars)
    {
        if (_target.Length < chars)
        {
            _target = new char[chars];
        }

        return _target;
    }

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
