using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace S3Slower.Collector.Tls;

/// <summary>
/// Attaches the TLS plaintext uprobes of a loaded BPF object to every OpenSSL/BoringSSL/GnuTLS file it can find, and
/// keeps doing so for processes and libraries that appear later: the kernel reports each new executable, and each file
/// not yet examined that a process mapped, once the process's dynamic loader has finished loading it (bpf/tls.bpf.c,
/// ring buffer <c>tls_files</c>); this class scans that process's maps within milliseconds. Uprobes sit on inodes with
/// pid -1, so a file attached once covers every process that maps it, now or later — the system libssl (which .NET
/// dlopens lazily) needs no event at all.
/// </summary>
public sealed class TlsTracer : IDisposable
{
    /// <summary>Tracepoint programs of the watcher; the plain-HTTP loader must leave every <c>s3s_tls_*</c> program to this class.</summary>
    public static readonly IReadOnlyList<string> WatcherPrograms = ["s3s_tls_exec", "s3s_tls_mmap"];

    private const string FilesRingBuffer = "tls_files";
    private const string KnownFilesMap = "tls_known_files";

    /// <summary>The kernel wakes the watcher for each event; the timeout only bounds how long a stop waits for it.</summary>
    private const int PollTimeoutMs = 500;

    private readonly Lock _lock = new();
    private readonly TlsTracerOptions _options;
    private readonly TextWriter _log;
    private readonly TlsLibraryScanner _scanner = new();
    private readonly UprobeAttacher _attacher;
    private readonly Dictionary<FileIdentity, TlsAttachment> _attached = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<FileIdentity> _recentFileEvents = new();
    private readonly List<nint> _watcherLinks = [];
    private readonly int _knownFilesFd;
    private nint _ringBuffer;
    private GCHandle _self;
    private Thread? _poller;
    private volatile bool _stopping;
    private long _fileEvents;

    private TlsTracer(TlsTracerOptions options, nint bpfObject, TextWriter log)
    {
        _options = options;
        _log = log;
        _attacher = new UprobeAttacher(bpfObject, options.PinDirectory, options.WatchNewCode);
        var knownFiles = TlsNative.bpf_object__find_map_by_name(bpfObject, KnownFilesMap);
        _knownFilesFd = knownFiles == 0 ? -1 : TlsNative.bpf_map__fd(knownFiles);
        _scanner.FileExamined += MarkKnown;
        if (options.Debug)
        {
            _scanner.FileSkipped += (path, why) => _log.WriteLine($"tls: skipped {path}: {why}");
        }
    }

    /// <summary>Files examined by the watcher since start (for --debug and tests).</summary>
    public long FileEvents => Interlocked.Read(ref _fileEvents);

    /// <summary>The files of the last <see cref="RecentFileEventCount"/> new-code events, oldest first (for diagnostics and tests).</summary>
    public IReadOnlyList<FileIdentity> RecentFileEvents => [.. _recentFileEvents];

    public const int RecentFileEventCount = 256;

    /// <summary>
    /// Attaches to a loaded BPF object (after <c>bpf_object__load</c>): the watcher first (so nothing that starts
    /// during the scan is missed), then <c>--tls-lib</c> files, the system libraries and running processes.
    /// Throws <see cref="TlsSetupException"/> for a bad <c>--tls-lib</c> or an object without the TLS programs.
    /// </summary>
    public static TlsTracer Start(TlsTracerOptions options, nint bpfObject, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (bpfObject == 0)
        {
            throw new ArgumentException("the BPF object is not open", nameof(bpfObject));
        }

        var tracer = new TlsTracer(options, bpfObject, log);
        try
        {
            tracer.StartCore(bpfObject);
            return tracer;
        }
        catch
        {
            tracer.Dispose();
            throw;
        }
    }

    /// <summary>Every attached file with its functions and file offsets, one line each (for <c>--ebpf</c>).</summary>
    public IReadOnlyList<TlsAttachment> Attachments
    {
        get
        {
            lock (_lock)
            {
                return [.. _attached.Values.OrderBy(a => a.Target.Path, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Human-readable lines for <c>--ebpf</c>.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"tls: uprobe+uretprobe {UprobeAttacher.EnterProgram}/{UprobeAttacher.ExitProgram} on {Attachments.Count} files (all processes, by inode):"),
        };
        lines.AddRange(Attachments.Select(a => "  " + a.Describe()));
        lines.Add(_options.WatchNewCode
            ? "tls: watching new code: tracepoints sched:sched_process_exec, mmap:vm_unmapped_area and uprobe ld.so:_dl_debug_state → ring buffer tls_files"
            : "tls: not watching for new processes or libraries");
        return lines;
    }

    public void Dispose()
    {
        _stopping = true;
        _poller?.Join();
        if (_ringBuffer != 0)
        {
            TlsNative.ring_buffer__free(_ringBuffer);
            _ringBuffer = 0;
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }

        foreach (var link in _watcherLinks)
        {
            _ = TlsNative.bpf_link__destroy(link);
        }

        _watcherLinks.Clear();
        lock (_lock)
        {
            _attacher.Dispose();
            _attached.Clear();
        }
    }

    /// <summary>Attaches to one more file now (the <c>--tls-lib</c> path; also usable at run time).</summary>
    public TlsAttachment AttachFile(string path)
    {
        TlsProbeTarget? target;
        try
        {
            target = _scanner.Examine(path, path, "--tls-lib");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException)
        {
            throw new TlsSetupException($"--tls-lib {path}: {e.Message}", e);
        }

        if (target is null || !target.Functions.Any(f => TlsFunctions.CarriesPlaintext(f.Function)))
        {
            throw new TlsSetupException(
                $"--tls-lib {path}: exports none of {string.Join(", ", TlsFunctions.Symbols.Where(s => !TlsFunctions.IsLoaderHook(TlsFunctions.BySymbol[s])))} (stripped, or not a TLS library)");
        }

        return Attach(target) ?? throw new TlsSetupException($"--tls-lib {path}: no probe could be attached (see above)");
    }

    private void StartCore(nint bpfObject)
    {
        if (_options.WatchNewCode)
        {
            StartWatcher(bpfObject);
        }

        foreach (var path in _options.ExtraLibraries)
        {
            AttachFile(path);
        }

        if (_options.ScanSystem)
        {
            IReadOnlyList<(string, string)> cache = [];
            try
            {
                cache = LdSoCache.Read();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                _log.WriteLine($"tls: cannot read {LdSoCache.DefaultPath} ({e.Message}); searching the library directories only");
            }

            AttachAll(_scanner.ScanSystem(cache, TlsLibraryScanner.DefaultLibraryDirectories));
        }

        if (_options.ScanProcesses)
        {
            AttachAll(_scanner.ScanAllProcesses());
        }
    }

    private unsafe void StartWatcher(nint bpfObject)
    {
        foreach (var name in WatcherPrograms)
        {
            var program = TlsNative.bpf_object__find_program_by_name(bpfObject, name);
            if (program == 0)
            {
                throw new TlsSetupException($"the BPF object has no {name} program");
            }

            var link = TlsNative.bpf_program__attach(program);
            if (link == 0)
            {
                throw new TlsSetupException($"cannot attach {name}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            _watcherLinks.Add(link);
        }

        var map = TlsNative.bpf_object__find_map_by_name(bpfObject, FilesRingBuffer);
        if (map == 0)
        {
            throw new TlsSetupException($"the BPF object has no {FilesRingBuffer} ring buffer");
        }

        _self = GCHandle.Alloc(this);
        delegate* unmanaged[Cdecl]<nint, nint, nuint, int> callback = &OnFileEvent;
        _ringBuffer = TlsNative.ring_buffer__new(TlsNative.bpf_map__fd(map), (nint)callback, GCHandle.ToIntPtr(_self), 0);
        if (_ringBuffer == 0)
        {
            throw new TlsSetupException($"cannot open the {FilesRingBuffer} ring buffer: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        _poller = new Thread(Poll) { IsBackground = true, Name = "tls-watcher" };
        _poller.Start();
    }

    private void Poll()
    {
        while (!_stopping)
        {
            var result = TlsNative.ring_buffer__poll(_ringBuffer, PollTimeoutMs);
            if (result < 0 && result != -4 /* EINTR */)
            {
                _log.WriteLine($"tls: watcher stopped: ring_buffer__poll returned {result}");
                return;
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int OnFileEvent(nint context, nint data, nuint size)
    {
        if (size < (nuint)sizeof(TlsFileEvent))
        {
            return 0;
        }

        var tracer = (TlsTracer)GCHandle.FromIntPtr(context).Target!;
        try
        {
            tracer.OnNewCode(*(TlsFileEvent*)data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            tracer._log.WriteLine($"tls: watcher: {e.Message}");
        }

        return 0;
    }

    private void OnNewCode(TlsFileEvent ev)
    {
        Interlocked.Increment(ref _fileEvents);
        var identity = FileIdentity.FromKernelDevice(ev.Device, ev.Inode, FileIdentity.ChangeTimeOf(ev.ChangeSeconds, ev.ChangeNanoseconds));
        _recentFileEvents.Enqueue(identity);
        while (_recentFileEvents.Count > RecentFileEventCount && _recentFileEvents.TryDequeue(out _))
        {
        }

        if (_scanner.IsKnown(identity))
        {
            MarkKnown(identity);
            return;
        }

        if (_options.Debug)
        {
            _log.WriteLine($"tls: new code {identity} in pid {ev.Pid} ({(ev.Reason == 1 ? "exec" : "mmap")})");
        }

        AttachAll(_scanner.ScanProcess((int)ev.Pid));
        if (Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{ev.Pid}")))
        {
            // Seen through the process's maps now (possibly under another stat identity, e.g. overlayfs): quiet it.
            MarkKnown(identity);
        }
    }

    private void AttachAll(IEnumerable<TlsProbeTarget> targets)
    {
        foreach (var target in targets)
        {
            Attach(target);
        }
    }

    private TlsAttachment? Attach(TlsProbeTarget target)
    {
        lock (_lock)
        {
            if (_attached.TryGetValue(target.Identity.WithoutChangeTime, out var existing))
            {
                return existing;
            }

            var errors = new List<string>();
            var functions = _attacher.Attach(target, errors);
            foreach (var error in errors)
            {
                _log.WriteLine($"tls: {error}");
            }

            if (functions.Count == 0)
            {
                return null;
            }

            var attachment = new TlsAttachment(target, functions);
            _attached[target.Identity.WithoutChangeTime] = attachment;
            if (_options.Debug)
            {
                _log.WriteLine($"tls: attached {attachment.Describe()}");
            }

            return attachment;
        }
    }

    private unsafe void MarkKnown(FileIdentity identity)
    {
        if (_knownFilesFd < 0)
        {
            return;
        }

        var (seconds, nanoseconds) = identity.ChangeTime;
        var key = new TlsFileKey { Device = identity.KernelDevice, ChangeNanoseconds = nanoseconds, Inode = identity.Inode, ChangeSeconds = seconds };
        byte one = 1;
        // A full map only costs extra events; nothing is lost.
        _ = TlsNative.bpf_map_update_elem(_knownFilesFd, &key, &one, 0);
    }

    /// <summary>Mirrors <c>struct s3s_tls_file_key</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TlsFileKey
    {
        public uint Device;
        public uint ChangeNanoseconds;
        public ulong Inode;
        public long ChangeSeconds;
    }

    /// <summary>Mirrors <c>struct s3s_tls_file_event</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TlsFileEvent
    {
        public uint Pid;
        public uint Reason;
        public uint Device;
        public uint ChangeNanoseconds;
        public ulong Inode;
        public long ChangeSeconds;
    }
}
