using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>The embedded s3slower.bpf.o, opened, loaded and (for its tracepoints) attached through libbpf.</summary>
internal sealed unsafe class BpfObject : IDisposable
{
    public const string ResourceName = "s3slower.bpf.o";
    private const string TracepointPrefix = "tracepoint/";

    private readonly List<nint> _links = [];
    private readonly List<AttachedProgram> _attached = [];
    private nint _object;

    private BpfObject(nint obj) => _object = obj;

    public IReadOnlyList<AttachedProgram> Attached => _attached;

    /// <summary>libbpf's bpf_object*, for attachers of other program kinds (TLS uprobes) that share these maps.</summary>
    public nint Handle => _object;

    /// <summary>Opens the embedded object (not yet loaded).</summary>
    public static BpfObject Open()
    {
        using Stream stream = typeof(BpfObject).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new BpfException($"The collector was built without its BPF object ({ResourceName}); rebuild with clang and bpftool installed.");
        byte[] image = new byte[stream.Length];
        stream.ReadExactly(image);
        fixed (byte* p = image)
        {
            // libbpf copies the image: the managed buffer may go after open.
            nint obj = Libbpf.ObjectOpenMem(p, (nuint)image.Length, 0);
            if (obj == 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new BpfException($"libbpf could not open the BPF object: {Libbpf.ErrorText(errno)}. {LibbpfLog.TakeWarnings()}".TrimEnd());
            }

            return new BpfObject(obj);
        }
    }

    public nint Map(string name)
    {
        nint map = Libbpf.ObjectFindMap(_object, name);
        return map != 0 ? map : throw new BpfException($"BPF map '{name}' missing from {ResourceName}.");
    }

    public void SetMaxEntries(string map, uint entries)
    {
        int rc = Libbpf.MapSetMaxEntries(Map(map), entries);
        if (rc != 0)
        {
            throw new BpfException($"Could not size BPF map '{map}' to {entries}: {Libbpf.ErrorText(rc)}");
        }
    }

    public void Load(bool debug)
    {
        int rc = Libbpf.ObjectLoad(_object);
        if (rc == 0)
        {
            return;
        }

        string log = LibbpfLog.TakeWarnings();
        string hint = debug ? "(verifier log above)" : "run with --debug to print the verifier log";
        string reason = rc == -1 || rc == -13 ? "the kernel refused (EPERM/EACCES): not root, lockdown, or the verifier rejected a program" : Libbpf.ErrorText(rc);
        throw new BpfException($"Loading the eBPF programs failed: {reason}; {hint}.{(debug ? "" : Environment.NewLine + LastLines(log, 12))}");
    }

    /// <summary>Attaches every tracepoint program; other kinds are left to their own attachers.</summary>
    public void AttachTracepoints()
    {
        for (nint prog = Libbpf.ObjectNextProgram(_object, 0); prog != 0; prog = Libbpf.ObjectNextProgram(_object, prog))
        {
            string section = Marshal.PtrToStringUTF8(Libbpf.ProgramSectionName(prog)) ?? "";
            if (!section.StartsWith(TracepointPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            string name = Marshal.PtrToStringUTF8(Libbpf.ProgramName(prog)) ?? "?";
            nint link = Libbpf.ProgramAttach(prog);
            if (link == 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new BpfException($"Attaching {name} to {section} failed: {Libbpf.ErrorText(errno)}. Is tracefs mounted at /sys/kernel/tracing?");
            }

            _links.Add(link);
            _attached.Add(new AttachedProgram(name, section, KernelIdOf(Libbpf.ProgramFd(prog))));
        }
    }

    /// <summary>Records a program attached elsewhere (TLS uprobes) so <c>--ebpf</c> lists it too.</summary>
    public void AddAttached(AttachedProgram program, nint link)
    {
        _links.Add(link);
        _attached.Add(program);
    }

    public void Update<TKey, TValue>(string map, TKey key, TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        int rc = Libbpf.MapUpdate(Map(map), &key, (nuint)sizeof(TKey), &value, (nuint)sizeof(TValue), 0);
        if (rc != 0)
        {
            throw new BpfException($"Updating BPF map '{map}' failed: {Libbpf.ErrorText(rc)}");
        }
    }

    /// <summary>Sum of a per-CPU u64 counter at index 0.</summary>
    public ulong SumPerCpu(string map)
    {
        int cpus = Libbpf.NumPossibleCpus();
        if (cpus <= 0)
        {
            return 0;
        }

        ulong* values = stackalloc ulong[cpus];
        uint key = 0;
        if (Libbpf.MapLookup(Map(map), &key, sizeof(uint), values, (nuint)(cpus * sizeof(ulong)), 0) != 0)
        {
            return 0;
        }

        ulong sum = 0;
        for (int i = 0; i < cpus; i++)
        {
            sum += values[i];
        }

        return sum;
    }

    public void Dispose()
    {
        foreach (nint link in _links)
        {
            _ = Libbpf.LinkDestroy(link);
        }

        _links.Clear();
        if (_object != 0)
        {
            Libbpf.ObjectClose(_object);
            _object = 0;
        }
    }

    private static int KernelIdOf(int fd)
    {
        // struct bpf_prog_info starts with { __u32 type; __u32 id; }; a zeroed larger buffer is accepted.
        byte* info = stackalloc byte[256];
        new Span<byte>(info, 256).Clear();
        uint length = 256;
        return Libbpf.ObjectGetInfoByFd(fd, info, &length) == 0 ? *(int*)(info + 4) : 0;
    }

    private static string LastLines(string text, int count)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - count)));
    }
}
