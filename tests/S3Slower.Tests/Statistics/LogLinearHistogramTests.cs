using S3Slower.Aggregator.Statistics;

namespace S3Slower.Tests.Statistics;

public sealed class LogLinearHistogramTests
{
    private static readonly double[] Quantiles = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

    private static long ExactNearestRank(long[] sorted, double q) =>
        sorted[Math.Clamp((long)Math.Ceiling(q * sorted.Length), 1, sorted.Length) - 1];

    private static void AssertWithinRelative(long expected, long actual, double relative)
    {
        double err = Math.Abs(actual - expected) / (double)Math.Max(1, expected);
        Assert.True(err <= relative, $"expected {expected}, got {actual} (relative error {err:P3} > {relative:P2})");
    }

    private static void AssertSameDistribution(LogLinearHistogram expected, LogLinearHistogram actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Min, actual.Min);
        Assert.Equal(expected.Max, actual.Max);
        Assert.Equal(expected.Sum, actual.Sum);
        foreach (double q in Quantiles)
        {
            Assert.Equal(expected.Percentile(q), actual.Percentile(q));
        }
    }

    public static TheoryData<string> Distributions => new() { "uniform", "lognormal", "bimodal", "exact-small" };

    private static long[] Generate(string name)
    {
        var rng = new Random(42);
        return name switch
        {
            // 1 µs .. 10 s, uniform on a log scale would be lognormal; this one is linear.
            "uniform" => Enumerable.Range(0, 100_000).Select(_ => rng.NextInt64(1_000, 10_000_000_000)).ToArray(),
            "lognormal" => Enumerable.Range(0, 100_000).Select(_ =>
            {
                double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                return (long)Math.Exp(Math.Log(2_000_000) + (1.5 * z)); // median 2 ms, long tail
            }).ToArray(),
            // Loopback hits (~200 µs) and WAN hits (~1.5 s): percentiles jump between modes.
            "bimodal" => Enumerable.Range(0, 50_000).Select(i => i % 10 == 0
                ? 1_500_000_000 + rng.NextInt64(0, 500_000_000)
                : 200_000 + rng.NextInt64(0, 50_000)).ToArray(),
            "exact-small" => Enumerable.Range(0, 1000).Select(i => (long)(i % 64)).ToArray(),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void PercentilesMatchExactValuesWithinOnePercent(string distribution)
    {
        long[] values = Generate(distribution);
        var h = new LogLinearHistogram();
        foreach (long v in values)
        {
            h.Record(v);
        }

        Array.Sort(values);
        foreach (double q in Quantiles)
        {
            AssertWithinRelative(ExactNearestRank(values, q), h.Percentile(q), 0.01);
        }

        Assert.Equal(values.Length, h.Count);
        Assert.Equal(values[0], h.Min);
        Assert.Equal(values[^1], h.Max);
        Assert.Equal(values.Sum(), h.Sum);
    }

    [Fact]
    public void SmallValuesAreExact()
    {
        var h = new LogLinearHistogram();
        for (long v = 0; v < 128; v++)
        {
            h.Record(v);
        }

        Assert.Equal(63, h.Percentile(0.5));
        Assert.Equal(127, h.Percentile(1.0));
        Assert.Equal(0, h.Percentile(0.001));
    }

    [Fact]
    public void MergeEqualsRecordingEverythingInOne()
    {
        var rng = new Random(7);
        var a = new LogLinearHistogram();
        var b = new LogLinearHistogram();
        var all = new LogLinearHistogram();
        for (int i = 0; i < 20_000; i++)
        {
            long v = rng.NextInt64(0, 5_000_000_000);
            (i % 3 == 0 ? a : b).Record(v);
            all.Record(v);
        }

        a.Merge(b);
        AssertSameDistribution(all, a);
    }

    [Fact]
    public void MemoryIsBoundedAndSmallForARealSpread()
    {
        var h = new LogLinearHistogram();
        var rng = new Random(1);
        for (int i = 0; i < 100_000; i++)
        {
            h.Record(rng.NextInt64(100_000, 100_000_000)); // 100 µs .. 100 ms: ~10 octaves
        }

        Assert.True(h.AllocatedBytes <= 12 * 256, $"{h.AllocatedBytes} bytes");
        h.Record(long.MaxValue);
        h.Record(-5);
        Assert.True(h.AllocatedBytes <= LogLinearHistogram.MaxOctaves * 256);
        Assert.Equal(0, h.Min);
        Assert.Equal(long.MaxValue, h.Max);
    }

    [Fact]
    public void EmptyHistogramReportsZero()
    {
        var h = new LogLinearHistogram();
        Assert.Equal(0, h.Percentile(0.99));
        Assert.Equal(0, h.Mean);
    }

    [Fact]
    public void BucketLayoutIsContiguous()
    {
        // Every value lands in the bucket whose bounds contain it; bounds tile the line without gaps.
        var rng = new Random(3);
        for (int i = 0; i < 100_000; i++)
        {
            long v = i < 1000 ? i : rng.NextInt64(0, LogLinearHistogram.MaxTrackable);
            var (o, s) = LogLinearHistogram.Locate(v);
            Assert.InRange(v, LogLinearHistogram.LowerBound(o, s), LogLinearHistogram.LowerBound(o, s + 1) - 1);
            Assert.True((LogLinearHistogram.LowerBound(o, s + 1) - LogLinearHistogram.LowerBound(o, s)) * 64 <= Math.Max(64, LogLinearHistogram.LowerBound(o, s)));
        }
    }

    [Fact]
    public void CountBelowMatchesExactCountsAtBoundaries()
    {
        var rng = new Random(5);
        var values = Enumerable.Range(0, 10_000).Select(_ => rng.NextInt64(0, 10_000_000_000)).ToArray();
        var h = new LogLinearHistogram();
        foreach (long v in values)
        {
            h.Record(v);
        }

        foreach (long bound in new long[] { 24_576, 1L << 20, 3L << 25, 1L << 33 })
        {
            Assert.True(LogLinearHistogram.IsBucketBoundary(bound));
            Assert.Equal(values.LongCount(v => v < bound), h.CountBelow(bound));
        }

        Assert.False(LogLinearHistogram.IsBucketBoundary(25_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => h.CountBelow(25_000));
    }

    [Fact]
    public void ABucketPastTwoToThe32KeepsCountingInPercentilesCountBelowAndMerge()
    {
        const long Wrap = 1L << 32;
        var h = new LogLinearHistogram();
        h.Record(1_000, uint.MaxValue);
        h.Record(1_000); // the bucket's 32-bit count wraps here
        h.Record(900_000, 3);

        Assert.Equal(Wrap + 3, h.Count);
        Assert.Equal(Wrap, h.CountBelow(2_048));
        Assert.Equal(Wrap + 3, h.CountBelow(1 << 20));
        AssertWithinRelative(1_000, h.Percentile(0.5), 0.01);
        AssertWithinRelative(900_000, h.Percentile(1.0), 0.01);

        var merged = new LogLinearHistogram();
        merged.Record(1_000, uint.MaxValue); // adding h's bucket wraps the merged one again
        merged.Merge(h);
        Assert.Equal((2 * Wrap) - 1, merged.CountBelow(2_048));
        Assert.Equal((2 * Wrap) + 2, merged.Count);
        AssertWithinRelative(900_000, merged.Percentile(1.0), 0.01);

        // More than 2^32 at once, into a bucket that already holds some.
        var bulk = new LogLinearHistogram();
        bulk.Record(5, 7);
        bulk.Record(5, (3 * Wrap) + 11);
        Assert.Equal((3 * Wrap) + 18, bulk.CountBelow(6));
        Assert.Equal(0, bulk.CountBelow(5));
    }

    [Fact]
    public void RecordingACountEqualsRecordingThatManyTimes()
    {
        var once = new LogLinearHistogram();
        var each = new LogLinearHistogram();
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            long value = rng.NextInt64(0, 50_000_000);
            int count = rng.Next(0, 20);
            once.Record(value, count);
            for (int j = 0; j < count; j++)
            {
                each.Record(value);
            }
        }

        AssertSameDistribution(each, once);
        Assert.Throws<ArgumentOutOfRangeException>(() => once.Record(1, -1));
    }
}
