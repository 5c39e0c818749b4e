using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>
/// The few libc calls loading BPF needs: identity, clocks, mounting tracefs, formatting libbpf's log, and mapping and
/// waiting on the ring buffer.
/// </summary>
internal static unsafe partial class LibC
{
    public const int ClockRealtime = 0;
    public const int ClockMonotonic = 1;
    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int MapShared = 1;
    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const uint EpollIn = 1;
    public const uint EpollEdgeTriggered = 1u << 31;
    public const int Eintr = 4;

    /// <summary>struct epoll_event, packed on x86-64.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

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

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint MemoryMap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    public static partial int MemoryUnmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epollFd, int operation, int fd, EpollEvent* @event);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, EpollEvent* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "getpagesize")]
    public static partial int GetPageSize();

    public static long Now(int clock)
    {
        TimeSpec ts;
        _ = ClockGetTime(clock, &ts);
        return ts.TotalNanoseconds;
    }
}
