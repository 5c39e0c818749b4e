using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Metrics;

/// <summary>
/// Prometheus bucket bounds for latencies: 2^k and 1.5·2^k nanoseconds from 24.576 µs to 68.7 s (44 bounds, ratio √2 on
/// average). Each bound is a bucket boundary of <see cref="LogLinearHistogram"/>, so the scraped histogram and the
/// internal percentiles cut the data at the same places.
/// </summary>
public static class LatencyBuckets
{
    private const long FirstBoundNs = 3L << 13;
    private const long LastBoundNs = 1L << 36;

    public static readonly long[] BoundsNs = Build();

    public static readonly double[] BoundsSeconds = [.. BoundsNs.Select(ns => ns / 1e9)];

    /// <summary>
    /// Index of the first bound ≥ <paramref name="ns"/> (the bucket "le" that bound), or <c>BoundsNs.Length</c> for
    /// +Inf: what a binary search over <see cref="BoundsNs"/> returns, from the bit length alone.
    /// </summary>
    public static int IndexOf(long ns)
    {
        if (ns <= FirstBoundNs)
        {
            return 0;
        }

        if (ns > LastBoundNs)
        {
            return BoundsNs.Length;
        }

        // 2^p < ns ≤ 2^(p+1): the bound is 1.5·2^p (index 2p − 28) or 2^(p+1) (index 2p − 27).
        int p = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(ns - 1));
        return ns <= 3L << (p - 1) ? (2 * p) - 28 : (2 * p) - 27;
    }

    private static long[] Build()
    {
        var bounds = new List<long> { FirstBoundNs };
        for (int k = 15; k <= 35; k++)
        {
            bounds.Add(1L << k);
            bounds.Add(3L << (k - 1));
        }

        bounds.Add(LastBoundNs);
        return [.. bounds];
    }
}
