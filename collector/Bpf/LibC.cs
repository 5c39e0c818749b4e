using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>The few libc calls loading BPF needs: identity, clocks, mounting tracefs, formatting libbpf's log.</summary>
internal static unsafe partial class LibC
{
    public const int ClockRealtime = 0;
    public const int ClockMonotonic = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;

        public readonly long TotalNanoseconds => (Seconds * 1_000_000_000) + Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, TimeSpec* time);

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, nint data);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "vsnprintf")]
    public static partial int VsnPrintf(byte* buffer, nuint size, byte* format, nint arguments);

    public static long Now(int clock)
    {
        TimeSpec ts;
        _ = ClockGetTime(clock, &ts);
        return ts.TotalNanoseconds;
    }
}
