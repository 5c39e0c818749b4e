using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>The embedded s3slower.bpf.o, opened, loaded and (for its tracepoints) attached through libbpf.</summary>
internal sealed unsafe class BpfObject : IDisposable
{
    public const string ResourceName = "s3slower.bpf.o";
    /// <summary>Sections this class attaches: perf tracepoints and BTF raw tracepoints; uprobes have their own attacher.</summary>
    private static readonly string[] s_attachedPrefixes = ["tracepoint/", "tp_btf/"];

    /// <summary>
    /// Programs whose tracepoint ("category/name" under tracefs) only newer kernels have: without it the collector
    /// still traces, less exactly. They are not even loaded then (a tp_btf program needs its tracepoint at load).
    /// </summary>
    private static readonly Dictionary<string, (string Tracepoint, string Loss)> s_optionalPrograms = new(StringComparer.Ordinal)
    {
        ["s3s_send_start"] = ("tcp/tcp_sendmsg_locked", "a send that waits for buffer space is timed from its end, not its start"),
    };

    private readonly List<nint> _links = [];
    private readonly List<AttachedProgram> _attached = [];
    private nint _object;
    private bool _allMapsReused;

    private BpfObject(nint obj, string imageHash)
    {
        _object = obj;
        ImageHash = imageHash;
    }

    /// <summary>Short hash of the embedded object: names its pin directory, so another build never reuses these maps.</summary>
    public string ImageHash { get; }

    public IReadOnlyList<AttachedProgram> Attached => _attached;

    /// <summary>Optional tracepoints this kernel lacks, each with what is lost without it.</summary>
    public List<string> Missing { get; } = [];

    /// <summary>libbpf's bpf_object*, for attachers of other program kinds (TLS uprobes) that share these maps.</summary>
    public nint Handle => _object;

    /// <summary>Opens the embedded object (not yet loaded).</summary>
    public static BpfObject Open()
    {
        using Stream stream = typeof(BpfObject).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new BpfException($"The collector was built without its BPF object ({ResourceName}); rebuild with clang and bpftool installed.");
        byte[] image = new byte[stream.Length];
        stream.ReadExactly(image);
        return Open(image);
    }

    /// <summary>Opens a BPF object from its ELF image (not yet loaded); the bench loads its own programs this way.</summary>
    public static BpfObject Open(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        fixed (byte* p = image)
        {
            // libbpf copies the image: the managed buffer may go after open.
            nint obj = Libbpf.ObjectOpenMem(p, (nuint)image.Length, 0);
            if (obj == 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new BpfException($"libbpf could not open the BPF object: {Libbpf.ErrorText(errno)}. {LibbpfLog.TakeWarnings()}".TrimEnd());
            }

            return new BpfObject(obj, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image))[..16]);
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

    /// <summary>
    /// Before load: every map already pinned in <paramref name="directory"/> is reused (with its contents: queued
    /// records, connections, counters); the others get their pin path, so libbpf pins them at load. Returns the
    /// number of maps reused.
    /// </summary>
    public int UsePins(string directory)
    {
        Directory.CreateDirectory(directory);
        int reused = 0, total = 0;
        for (nint map = Libbpf.ObjectNextMap(_object, 0); map != 0; map = Libbpf.ObjectNextMap(_object, map))
        {
            total++;
            string name = Marshal.PtrToStringUTF8(Libbpf.MapName(map)) ?? throw new BpfException("A BPF map has no name.");
            string path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                int rc = Libbpf.MapSetPinPath(map, path);
                if (rc != 0)
                {
                    throw new BpfException($"Could not set the pin path of BPF map '{name}': {Libbpf.ErrorText(rc)}");
                }

                continue;
            }

            int fd = Libbpf.ObjectGet(path);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new BpfException($"Could not open the pinned BPF map {path}: {Libbpf.ErrorText(errno)}; remove the pins with --unpin.");
            }

            // reuse_fd keeps its own duplicate of the descriptor.
            int reuse = Libbpf.MapReuseFd(map, fd);
            _ = LibC.Close(fd);
            if (reuse != 0)
            {
                throw new BpfException($"Could not reuse the pinned BPF map {path}: {Libbpf.ErrorText(reuse)}; remove the pins with --unpin.");
            }

            reused++;
        }

        _allMapsReused = reused == total;
        return reused;
    }

    public uint MaxEntries(string map) => Libbpf.MapMaxEntries(Map(map));

    /// <summary>Before load: the programs whose name <paramref name="skip"/> accepts are neither loaded nor attached.</summary>
    public void SkipPrograms(Func<string, bool> skip)
    {
        ArgumentNullException.ThrowIfNull(skip);
        for (nint prog = Libbpf.ObjectNextProgram(_object, 0); prog != 0; prog = Libbpf.ObjectNextProgram(_object, prog))
        {
            if (skip(Marshal.PtrToStringUTF8(Libbpf.ProgramName(prog)) ?? ""))
            {
                _ = Libbpf.ProgramSetAutoload(prog, false);
            }
        }
    }

    public void Load(bool debug)
    {
        for (nint prog = Libbpf.ObjectNextProgram(_object, 0); prog != 0; prog = Libbpf.ObjectNextProgram(_object, prog))
        {
            string name = Marshal.PtrToStringUTF8(Libbpf.ProgramName(prog)) ?? "";
            if (s_optionalPrograms.TryGetValue(name, out var optional) && !BpfPreflight.TracepointExists(optional.Tracepoint))
            {
                _ = Libbpf.ProgramSetAutoload(prog, false);
                Missing.Add($"{optional.Tracepoint.Replace('/', ':')} is missing: {optional.Loss}");
            }
        }

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

    /// <summary>
    /// Attaches every tracepoint program; other kinds are left to their own attachers. With a pin directory, a link
    /// pinned there by an earlier collector is opened instead (its program never stopped, so nothing is missed
    /// between two collectors and nothing is seen twice), and a new link is pinned. Returns the number of links reused.
    /// </summary>
    public int AttachTracepoints(string? pinDirectory = null)
    {
        if (pinDirectory is not null && !_allMapsReused)
        {
            // Pinned programs would write into maps this object no longer reads.
            BpfPins.RemoveLinks(pinDirectory);
        }

        int reused = 0;
        for (nint prog = Libbpf.ObjectNextProgram(_object, 0); prog != 0; prog = Libbpf.ObjectNextProgram(_object, prog))
        {
            string section = Marshal.PtrToStringUTF8(Libbpf.ProgramSectionName(prog)) ?? "";
            if (!s_attachedPrefixes.Any(p => section.StartsWith(p, StringComparison.Ordinal)) || Libbpf.ProgramFd(prog) < 0)
            {
                continue; // another attacher's, or not loaded (an optional tracepoint this kernel lacks)
            }

            string name = Marshal.PtrToStringUTF8(Libbpf.ProgramName(prog)) ?? "?";

            string? pinPath = pinDirectory is null ? null : BpfPins.LinkPath(pinDirectory, name);
            if (pinPath is not null && TryOpenPinnedLink(pinPath, name, section))
            {
                reused++;
                continue;
            }

            nint link = Libbpf.ProgramAttach(prog);
            if (link == 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new BpfException($"Attaching {name} to {section} failed: {Libbpf.ErrorText(errno)}. Is tracefs mounted at /sys/kernel/tracing?");
            }

            _links.Add(link);
            _attached.Add(new AttachedProgram(name, section, KernelIdOf(Libbpf.ProgramFd(prog))));
            if (pinPath is not null)
            {
                int rc = Libbpf.LinkPin(link, pinPath);
                if (rc != 0)
                {
                    throw new BpfException($"Could not pin the link of {name} at {pinPath}: {Libbpf.ErrorText(rc)}");
                }
            }
        }

        return reused;
    }

    /// <summary>
    /// Removes the keys of a map that <paramref name="keep"/> rejects (filters left by an earlier collector whose
    /// maps were reused). Entries to keep are written first by the caller, so the filter never runs empty.
    /// </summary>
    public void RemoveKeys(string map, int keySize, Func<byte[], bool> keep)
    {
        nint handle = Map(map);
        var stale = new List<byte[]>();
        byte[] key = new byte[keySize];
        byte[] next = new byte[keySize];
        fixed (byte* k = key, n = next)
        {
            byte* current = null;
            while (Libbpf.MapGetNextKey(handle, current, n, (nuint)keySize) == 0)
            {
                if (!keep(next))
                {
                    stale.Add([.. next]);
                }

                next.CopyTo(key, 0);
                current = k;
            }
        }

        foreach (byte[] s in stale)
        {
            fixed (byte* k = s)
            {
                _ = Libbpf.MapDelete(handle, k, (nuint)keySize, 0);
            }
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

    private bool TryOpenPinnedLink(string path, string name, string section)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        nint link = Libbpf.LinkOpen(path);
        if (link == 0)
        {
            File.Delete(path); // unusable: attach anew
            return false;
        }

        // struct bpf_link_info starts with { __u32 type; __u32 id; __u32 prog_id; }.
        byte* info = stackalloc byte[256];
        new Span<byte>(info, 256).Clear();
        uint length = 256;
        int programId = Libbpf.ObjectGetInfoByFd(Libbpf.LinkFd(link), info, &length) == 0 ? *(int*)(info + 8) : 0;
        _links.Add(link);
        _attached.Add(new AttachedProgram(name, section + " (pinned)", programId));
        return true;
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
