using System.Runtime.InteropServices;

namespace S3Slower.Collector.Tls;

/// <summary>
/// The few libc and libbpf 1.1 entry points the TLS tracer needs. Kept apart from the plain-HTTP binding so each
/// concern owns its imports; every call that can fail reports errno through <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class TlsNative
{
    private const string LibBpf = "libbpf.so.1";
    private const string LibC = "libc";

    /// <summary>Mirrors <c>struct bpf_uprobe_opts</c> of libbpf 1.1 (sz, ref_ctr_offset, bpf_cookie, retprobe, func_name).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UprobeOpts
    {
        public nuint Size;
        public nuint RefCounterOffset;
        public ulong Cookie;
        [MarshalAs(UnmanagedType.U1)]
        public bool RetProbe;
        public nint FunctionName;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int RingBufferSample(nint context, nint data, nuint size);

    [LibraryImport(LibC, EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatNative(string path, byte* buffer);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nint bpf_program__attach_uprobe_opts(nint program, int pid, string binaryPath, nuint functionOffset, UprobeOpts* options);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial nint bpf_program__attach(nint program);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_link__destroy(nint link);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_program_by_name(nint bpfObject, string name);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_map_by_name(nint bpfObject, string name);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_map__fd(nint map);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial nint ring_buffer__new(int mapFd, nint sampleCallback, nint context, nint options);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int ring_buffer__poll(nint ringBuffer, int timeoutMs);

    [LibraryImport(LibBpf)]
    internal static partial int ring_buffer__consume(nint ringBuffer);

    [LibraryImport(LibBpf)]
    internal static partial void ring_buffer__free(nint ringBuffer);

    // struct stat is 144 bytes on x86_64 and 128 on arm64; st_dev and st_ino lead on both, and st_ctim (tv_sec, then
    // tv_nsec) starts at byte 104 on both.
    private const int StatBufferSize = 256;
    private const int StatChangeTimeOffset = 104;

    /// <summary>
    /// Returns 0 and the raw <c>st_dev</c>/<c>st_ino</c> and the change time in nanoseconds, or -1 (errno set) when
    /// the path cannot be stat'ed.
    /// </summary>
    internal static int Stat(string path, out ulong device, out ulong inode, out long changeTimeNs)
    {
        var buffer = stackalloc byte[StatBufferSize];
        var result = StatNative(path, buffer);
        device = result == 0 ? *(ulong*)buffer : 0;
        inode = result == 0 ? *(ulong*)(buffer + 8) : 0;
        changeTimeNs = result == 0
            ? FileIdentity.ChangeTimeOf(*(long*)(buffer + StatChangeTimeOffset), (uint)*(long*)(buffer + StatChangeTimeOffset + 8))
            : 0;
        return result;
    }
}
