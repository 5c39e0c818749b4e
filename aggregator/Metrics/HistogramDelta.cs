using Prometheus;

namespace S3Slower.Aggregator.Metrics;

/// <summary>
/// Observations of one Prometheus latency histogram gathered between scrapes without atomics: a count and a sum per
/// bucket of <see cref="LatencyBuckets"/>. Applied as one <c>Observe(mean, count)</c> per bucket: the mean of values in
/// a bucket lies inside it, so the exported buckets, count and sum are what observing each value would have given.
/// </summary>
internal sealed class HistogramDelta
{
    private static readonly long[] Bounds = LatencyBuckets.BoundsNs;

    private readonly long[] _counts = new long[Bounds.Length + 1];
    private readonly double[] _sumsNs = new double[Bounds.Length + 1];
    private bool _empty = true;

    public void Add(long ns)
    {
        int i = LatencyBuckets.IndexOf(ns);

        _counts[i]++;
        _sumsNs[i] += ns;
        _empty = false;
    }

    public void ApplyTo(Histogram.Child child)
    {
        if (_empty)
        {
            return;
        }

        for (int i = 0; i < _counts.Length; i++)
        {
            long count = _counts[i];
            if (count == 0)
            {
                continue;
            }

            // Integer nanoseconds in bucket i lie in [previous bound + 1, bound]; the clamp only guards the rounding of
            // a large floating-point sum, so the observation cannot slip into a neighbouring bucket.
            double low = i == 0 ? 0 : Bounds[i - 1] + 1;
            double high = i < Bounds.Length ? Bounds[i] : double.MaxValue;
            double mean = Math.Clamp(_sumsNs[i] / count, low, high);
            child.Observe(mean / 1e9, count);
            _counts[i] = 0;
            _sumsNs[i] = 0;
        }

        _empty = true;
    }
}
