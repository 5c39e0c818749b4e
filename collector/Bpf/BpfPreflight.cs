namespace S3Slower.Collector.Bpf;

/// <summary>Checks the host before loading: privileges, kernel BTF, tracefs (mounted when missing), the tracepoints.</summary>
internal static class BpfPreflight
{
    public const string BtfPath = "/sys/kernel/btf/vmlinux";
    public const string TracefsPath = "/sys/kernel/tracing";
    private const string DebugfsTracingPath = "/sys/kernel/debug/tracing";

    /// <summary>The socket tracepoints every request is timed with (Linux 6.3 added the first two).</summary>
    private static readonly string[] s_requiredTracepoints = ["sock/sock_send_length", "sock/sock_recv_length", "sock/inet_sock_set_state", "tcp/tcp_destroy_sock"];

    /// <summary>True when tracefs lists <paramref name="tracepoint"/> ("category/name").</summary>
    public static bool TracepointExists(string tracepoint) =>
        Directory.Exists(Path.Combine(TracefsPath, "events", tracepoint)) || Directory.Exists(Path.Combine(DebugfsTracingPath, "events", tracepoint));

    public static void Check(TextWriter log)
    {
        if (LibC.GetEffectiveUserId() != 0)
        {
            throw new BpfException("The collector must run as root (it loads eBPF programs): use `sudo ./s3slower run`.");
        }

        if (!File.Exists(BtfPath))
        {
            throw new BpfException($"This kernel has no BTF ({BtfPath} is missing): S3Slower needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.");
        }

        EnsureTracefs(log);
        foreach (string tracepoint in s_requiredTracepoints)
        {
            if (!TracepointExists(tracepoint))
            {
                throw new BpfException($"This kernel has no {tracepoint.Replace('/', ':')} tracepoint: S3Slower needs Linux 6.3 or newer.");
            }
        }
    }

    /// <summary>libbpf finds tracepoint ids under tracefs; a fresh machine may not have it mounted.</summary>
    private static void EnsureTracefs(TextWriter log)
    {
        if (Directory.Exists(Path.Combine(TracefsPath, "events")) || Directory.Exists(Path.Combine(DebugfsTracingPath, "events")))
        {
            return;
        }

        if (!Directory.Exists(TracefsPath))
        {
            throw new BpfException($"{TracefsPath} does not exist: this kernel has no tracefs (CONFIG_FTRACE), tracepoints cannot be attached.");
        }

        if (LibC.Mount("tracefs", TracefsPath, "tracefs", 0, 0) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new BpfException($"tracefs is not mounted and mounting it at {TracefsPath} failed (errno {errno}); mount it with `mount -t tracefs tracefs {TracefsPath}`.");
        }

        log.WriteLine($"s3slower: mounted tracefs at {TracefsPath}");
    }
}
