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

    // A bucket's count next to its sum: recording touches one cache line, not two arrays' worth.
    private readonly Bucket[] _buckets = new Bucket[Bounds.Length + 1];
    private bool _empty = true;

    public void Add(long ns)
    {
        ref var bucket = ref _buckets[LatencyBuckets.IndexOf(ns)];
        bucket.Count++;
        bucket.SumNs += ns;
        _empty = false;
    }

    public void ApplyTo(Histogram.Child child)
    {
        if (_empty)
        {
            return;
        }

        for (int i = 0; i < _buckets.Length; i++)
        {
            long count = _buckets[i].Count;
            if (count == 0)
            {
                continue;
            }

            // Integer nanoseconds in bucket i lie in [previous bound + 1, bound]; the clamp only guards the rounding of
            // a large floating-point sum, so the observation cannot slip into a neighbouring bucket.
            double low = i == 0 ? 0 : Bounds[i - 1] + 1;
            double high = i < Bounds.Length ? Bounds[i] : double.MaxValue;
            double mean = Math.Clamp(_buckets[i].SumNs / count, low, high);
            child.Observe(mean / 1e9, count);
            _buckets[i] = default;
        }

        _empty = true;
    }

    private struct Bucket
    {
        public long Count;
        public double SumNs;
    }
}
