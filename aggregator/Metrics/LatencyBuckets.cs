using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Metrics;

/// <summary>
/// Prometheus bucket bounds for latencies: 2^k and 1.5·2^k nanoseconds from 24.576 µs to 68.7 s (44 bounds, ratio √2 on
/// average). Each bound is a bucket boundary of <see cref="LogLinearHistogram"/>, so the scraped histogram and the
/// internal percentiles cut the data at the same places.
/// </summary>
public static class LatencyBuckets
{
    public static readonly long[] BoundsNs = Build();

    public static readonly double[] BoundsSeconds = [.. BoundsNs.Select(ns => ns / 1e9)];

    private static long[] Build()
    {
        var bounds = new List<long> { 3L << 13 };
        for (int k = 15; k <= 35; k++)
        {
            bounds.Add(1L << k);
            bounds.Add(3L << (k - 1));
        }

        bounds.Add(1L << 36);
        return [.. bounds];
    }
}
