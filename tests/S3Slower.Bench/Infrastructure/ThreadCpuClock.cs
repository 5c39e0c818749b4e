using System.Runtime.InteropServices;

namespace S3Slower.Bench.Infrastructure;

/// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): unlike wall time, it does not grow while other processes run.</summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static long NowNs()
    {
        if (ClockGetTime(ClockThreadCpuTimeId, out var ts) != 0)
        {
            throw new InvalidOperationException($"clock_gettime failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
