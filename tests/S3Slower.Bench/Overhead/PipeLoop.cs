using System.Diagnostics;
using System.Runtime.InteropServices;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// A process that does nothing but small pipe writes and reads (64 bytes each, one write + one read per operation):
/// the workload most sensitive to per-syscall tracing cost, and one the collector must leave alone.
/// </summary>
internal static partial class PipeLoop
{
    private const int BlockBytes = 64;

    /// <summary>Operations per second over <paramref name="duration"/>.</summary>
    public static unsafe double Run(TimeSpan duration)
    {
        int* fds = stackalloc int[2];
        if (Pipe(fds) != 0)
        {
            throw new IOException($"pipe() failed: errno {Marshal.GetLastPInvokeError()}");
        }

        byte* block = stackalloc byte[BlockBytes];
        long ops = 0;
        var watch = Stopwatch.StartNew();
        long end = (long)(duration.TotalSeconds * Stopwatch.Frequency);
        try
        {
            while (true)
            {
                // Check the clock every 1024 operations: the loop should be syscalls, not timekeeping.
                for (int i = 0; i < 1024; i++)
                {
                    if (Write(fds[1], block, BlockBytes) != BlockBytes || Read(fds[0], block, BlockBytes) != BlockBytes)
                    {
                        throw new IOException($"pipe I/O failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                ops += 1024;
                if (watch.ElapsedTicks >= end)
                {
                    break;
                }
            }
        }
        finally
        {
            _ = Close(fds[0]);
            _ = Close(fds[1]);
        }

        return ops / watch.Elapsed.TotalSeconds;
    }

    [LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)]
    private static unsafe partial int Pipe(int* fds);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
