using System.Numerics;

namespace S3Slower.Aggregator.Statistics;

/// <summary>
/// Base-2 log-linear histogram of non-negative integers (nanoseconds here), the HdrHistogram layout:
/// values below 64 are counted exactly; above, every power of two is split into 64 equal sub-buckets, so a bucket is at
/// most 1/64 of its lower bound wide and the midpoint is within 0.8 % of any value in it. Octaves are allocated on
/// first use (256 bytes each: 32-bit counts, with the rare bucket that passes 2^32 carried in a side table), so memory
/// stays at a few KB for a real latency spread and is bounded by <see cref="MaxOctaves"/> in all cases. Merging adds
/// counts. Not thread-safe: one writer, readers under the owner's lock.
/// </summary>
public sealed class LogLinearHistogram
{
    public const int SubBucketBits = 6;
    public const int SubBuckets = 1 << SubBucketBits;

    /// <summary>Octave 0 holds 0..63 exactly; octave k ≥ 1 holds [64·2^(k-1), 64·2^k). 42 octaves reach past 2^46 ns (19 h).</summary>
    public const int MaxOctaves = 42;

    /// <summary>Values at or above this are counted in the last bucket (min/max/sum stay exact).</summary>
    public static readonly long MaxTrackable = (long)SubBuckets << (MaxOctaves - 1);

    // Inline in the object, not an array of its own: recording is then two dependent loads (this, the octave) instead
    // of three, and with five histograms per request on a busy host each load is likely a cache miss.
    private OctaveTable _octaves;

    // Wraps of a bucket's 32-bit count past 2^32, by octave * SubBuckets + sub: ~35 minutes of 2 M requests/s into one
    // bucket. Halving the counts keeps twice the histograms in a core's cache, where recording spends its time.
    private Dictionary<int, long>? _carries;

    public long Count { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    /// <summary>Exact sum of recorded values (saturating at <see cref="long.MaxValue"/>).</summary>
    public long Sum { get; private set; }

    public double Mean => Count == 0 ? 0 : (double)Sum / Count;

    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        var (octave, sub) = Locate(value);
        if (++(_octaves[octave] ??= new uint[SubBuckets])[sub] == 0)
        {
            Carry(octave, sub, 1);
        }

        Count++;
        Sum = long.MaxValue - Sum < value ? long.MaxValue : Sum + value;
        if (value < Min)
        {
            Min = value;
        }

        if (value > Max)
        {
            Max = value;
        }
    }

    public void Merge(LogLinearHistogram other)
    {
        for (int o = 0; o < MaxOctaves; o++)
        {
            if (other._octaves[o] is not { } src)
            {
                continue;
            }

            var dst = _octaves[o] ??= new uint[SubBuckets];
            for (int s = 0; s < SubBuckets; s++)
            {
                AddToBucket(dst, o, s, src[s]);
            }
        }

        if (other._carries is { } carries)
        {
            foreach (var (bucket, wraps) in carries)
            {
                Carry(bucket / SubBuckets, bucket % SubBuckets, wraps);
            }
        }

        Count += other.Count;
        Sum = long.MaxValue - Sum < other.Sum ? long.MaxValue : Sum + other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    public void Clear()
    {
        ((Span<uint[]?>)_octaves).Clear();
        _carries = null;
        Count = 0;
        Sum = 0;
        Min = long.MaxValue;
        Max = 0;
    }

    /// <summary>
    /// The value at quantile <paramref name="q"/> (0..1) by nearest rank: the midpoint of the bucket holding the
    /// ⌈q·n⌉-th smallest value, clamped to the exact min and max. 0 when empty.
    /// </summary>
    public long Percentile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Clamp((long)Math.Ceiling(q * Count), 1, Count);
        long seen = 0;
        for (int o = 0; o < MaxOctaves; o++)
        {
            if (_octaves[o] is not { } counts)
            {
                continue;
            }

            for (int s = 0; s < SubBuckets; s++)
            {
                seen += BucketCount(o, counts, s);
                if (seen >= rank)
                {
                    long lower = LowerBound(o, s);
                    long mid = lower + ((LowerBound(o, s + 1) - lower - 1) / 2);
                    return Math.Clamp(mid, Min, Max);
                }
            }
        }

        return Max;
    }

    /// <summary>Number of recorded values strictly below <paramref name="bound"/>, which must be a bucket boundary.</summary>
    public long CountBelow(long bound)
    {
        if (!IsBucketBoundary(bound))
        {
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "not a bucket boundary");
        }

        var (octave, sub) = Locate(bound);
        long n = 0;
        for (int o = 0; o <= octave && o < MaxOctaves; o++)
        {
            if (_octaves[o] is not { } counts)
            {
                continue;
            }

            int end = o == octave ? sub : SubBuckets;
            for (int s = 0; s < end; s++)
            {
                n += BucketCount(o, counts, s);
            }
        }

        return n;
    }

    /// <summary>True when <paramref name="value"/> is where a bucket starts, i.e. usable as an exact Prometheus bound.</summary>
    public static bool IsBucketBoundary(long value)
    {
        if (value < 0 || value > MaxTrackable)
        {
            return false;
        }

        if (value < SubBuckets * 2)
        {
            return true;
        }

        int shift = BitOperations.Log2((ulong)value) - SubBucketBits;
        return (value & ((1L << shift) - 1)) == 0;
    }

    /// <summary>Bytes held by the counts, for the memory bound tests.</summary>
    public int AllocatedBytes
    {
        get
        {
            int allocated = 0;
            foreach (var octave in (ReadOnlySpan<uint[]?>)_octaves)
            {
                allocated += octave is null ? 0 : SubBuckets * sizeof(uint);
            }

            return allocated;
        }
    }

    /// <summary>Records <paramref name="count"/> occurrences of <paramref name="value"/> at once (how tests pass 2^32).</summary>
    internal void Record(long value, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return;
        }

        value = Math.Max(0, value);
        var (octave, sub) = Locate(value);
        AddToBucket(_octaves[octave] ??= new uint[SubBuckets], octave, sub, (ulong)count);
        Count += count;
        Sum = value != 0 && (long.MaxValue - Sum) / value < count ? long.MaxValue : Sum + (value * count);
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }

    // Adds n to a bucket, carrying each whole 2^32 into the side table.
    private void AddToBucket(uint[] counts, int octave, int sub, ulong n)
    {
        ulong sum = counts[sub] + (n & uint.MaxValue);
        counts[sub] = (uint)sum;
        long wraps = (long)(n >> 32) + (long)(sum >> 32);
        if (wraps > 0)
        {
            Carry(octave, sub, wraps);
        }
    }

    private void Carry(int octave, int sub, long wraps)
    {
        _carries ??= [];
        int bucket = (octave * SubBuckets) + sub;
        _carries[bucket] = _carries.GetValueOrDefault(bucket) + wraps;
    }

    private long BucketCount(int octave, uint[] counts, int sub) =>
        counts[sub] + (_carries is { } carries && carries.TryGetValue((octave * SubBuckets) + sub, out long wraps) ? wraps << 32 : 0);

    internal static (int Octave, int Sub) Locate(long value)
    {
        if (value < SubBuckets)
        {
            return (0, (int)value);
        }

        int log2 = BitOperations.Log2((ulong)value);
        int octave = log2 - SubBucketBits + 1;
        if (octave >= MaxOctaves)
        {
            return (MaxOctaves - 1, SubBuckets - 1);
        }

        return (octave, (int)(value >> (log2 - SubBucketBits)) - SubBuckets);
    }

    internal static long LowerBound(int octave, int sub)
    {
        if (sub == SubBuckets)
        {
            return octave == 0 ? SubBuckets : LowerBound(octave + 1, 0);
        }

        return octave == 0 ? sub : (long)(SubBuckets + sub) << (octave - 1);
    }

    [System.Runtime.CompilerServices.InlineArray(MaxOctaves)]
    private struct OctaveTable
    {
        private uint[]? _first;
    }
}
