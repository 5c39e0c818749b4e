using S3Slower.Collector.Bpf;

namespace S3Slower.Collector.Tracing;

/// <summary>Converts the kernel's monotonic timestamps (bpf_ktime_get_ns) to Unix-epoch nanoseconds.</summary>
internal sealed class MonotonicClock
{
    private const int Samples = 5;
    private long _offsetNs;

    public MonotonicClock() => Resync();

    public static ulong NowNs => (ulong)LibC.Now(LibC.ClockMonotonic);

    public long ToUnixNs(ulong monotonicNs) => (long)monotonicNs + Volatile.Read(ref _offsetNs);

    /// <summary>Re-reads the offset (NTP may step the wall clock); the tightest of a few samples wins.</summary>
    public void Resync()
    {
        long best = long.MaxValue, offset = 0;
        for (int i = 0; i < Samples; i++)
        {
            long before = LibC.Now(LibC.ClockMonotonic);
            long real = LibC.Now(LibC.ClockRealtime);
            long after = LibC.Now(LibC.ClockMonotonic);
            if (after - before < best)
            {
                best = after - before;
                offset = real - ((before + after) / 2);
            }
        }

        Volatile.Write(ref _offsetNs, offset);
    }
}
