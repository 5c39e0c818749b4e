namespace S3Slower.Collector.Bpf;

/// <summary>Checks the host before loading: privileges, kernel BTF, tracefs (mounted when missing).</summary>
internal static class BpfPreflight
{
    public const string BtfPath = "/sys/kernel/btf/vmlinux";
    public const string TracefsPath = "/sys/kernel/tracing";
    private const string DebugfsTracingPath = "/sys/kernel/debug/tracing";

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
            throw new BpfException($"{TracefsPath} does not exist: this kernel has no tracefs (CONFIG_FTRACE), syscall tracepoints cannot be attached.");
        }

        if (LibC.Mount("tracefs", TracefsPath, "tracefs", 0, 0) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new BpfException($"tracefs is not mounted and mounting it at {TracefsPath} failed (errno {errno}); mount it with `mount -t tracefs tracefs {TracefsPath}`.");
        }

        log.WriteLine($"s3slower: mounted tracefs at {TracefsPath}");
    }
}
