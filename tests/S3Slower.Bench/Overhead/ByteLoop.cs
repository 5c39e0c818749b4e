using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// A process that does nothing but small writes and reads (64 bytes each, one write + one read per operation) through
/// a pipe or a TCP connection on loopback: the workloads most sensitive to per-syscall tracing cost, and ones the
/// collector must leave alone. Over TCP every write runs the collector's send programs, which must find out cheaply
/// that the connection carries no HTTP.
/// </summary>
internal static partial class ByteLoop
{
    private const int BlockBytes = 64;

    /// <summary>Operations per second through a pipe over <paramref name="duration"/>.</summary>
    public static unsafe double RunPipe(TimeSpan duration)
    {
        int* fds = stackalloc int[2];
        if (Pipe(fds) != 0)
        {
            throw new IOException($"pipe() failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            return Run(fds[1], fds[0], duration);
        }
        finally
        {
            _ = Close(fds[0]);
            _ = Close(fds[1]);
        }
    }

    /// <summary>Operations per second through a loopback TCP connection over <paramref name="duration"/>.</summary>
    public static double RunTcp(TimeSpan duration)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        sender.Connect(listener.LocalEndPoint!);
        using Socket receiver = listener.Accept();
        return Run((int)sender.SafeHandle.DangerousGetHandle(), (int)receiver.SafeHandle.DangerousGetHandle(), duration);
    }

    private static unsafe double Run(int writeFd, int readFd, TimeSpan duration)
    {
        byte* block = stackalloc byte[BlockBytes];
        new Span<byte>(block, BlockBytes).Fill((byte)'x');
        long ops = 0;
        var watch = Stopwatch.StartNew();
        long end = (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            // Check the clock every 1024 operations: the loop should be syscalls, not timekeeping.
            for (int i = 0; i < 1024; i++)
            {
                if (Write(writeFd, block, BlockBytes) != BlockBytes || Read(readFd, block, BlockBytes) != BlockBytes)
                {
                    throw new IOException($"loop I/O failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }

            ops += 1024;
            if (watch.ElapsedTicks >= end)
            {
                break;
            }
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
