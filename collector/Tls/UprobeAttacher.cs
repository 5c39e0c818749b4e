using System.Runtime.InteropServices;

namespace S3Slower.Collector.Tls;

/// <summary>
/// Attaches the two shared TLS programs (entry, return) to each plaintext function of a file, for all processes
/// (pid -1: the uprobe lives on the inode, so later processes and later dlopens of the file are covered at once).
/// The function's <see cref="TlsFunction"/> is the BPF cookie. With a pin directory each link is pinned there under
/// the file's identity, offset and kind, so the probes stay while the collector is gone, and the next collector reuses
/// them instead of adding a second probe (which would report every TLS call twice).
/// </summary>
internal sealed class UprobeAttacher : IDisposable
{
    public const string EnterProgram = "s3s_tls_enter";
    public const string ExitProgram = "s3s_tls_exit";
    public const string FreeProgram = "s3s_tls_free";
    public const string LoadedProgram = "s3s_tls_loaded";
    private const int AllProcesses = -1;

    private readonly nint _enter;
    private readonly nint _exit;
    private readonly nint _free;
    private readonly nint _loaded;
    private readonly List<nint> _links = [];
    private readonly string? _pinDirectory;
    private readonly bool _watchLoaders;

    /// <summary>Finds the TLS programs; <paramref name="watchLoaders"/> says whether the dynamic loaders' hook is attached (the watcher of new code is on).</summary>
    public UprobeAttacher(nint bpfObject, string? pinDirectory = null, bool watchLoaders = true)
    {
        _pinDirectory = pinDirectory;
        _watchLoaders = watchLoaders;
        _enter = TlsNative.bpf_object__find_program_by_name(bpfObject, EnterProgram);
        _exit = TlsNative.bpf_object__find_program_by_name(bpfObject, ExitProgram);
        _free = TlsNative.bpf_object__find_program_by_name(bpfObject, FreeProgram);
        _loaded = TlsNative.bpf_object__find_program_by_name(bpfObject, LoadedProgram);
        if (_enter == 0 || _exit == 0 || _free == 0 || _loaded == 0)
        {
            throw new TlsSetupException($"the BPF object lacks {EnterProgram}/{ExitProgram}/{FreeProgram}/{LoadedProgram} (built without bpf/tls.bpf.c?)");
        }
    }

    public int LinkCount => _links.Count;

    /// <summary>Attaches every function of <paramref name="target"/>; returns those attached, and why others failed.</summary>
    public IReadOnlyList<TlsFunction> Attach(TlsProbeTarget target, List<string> errors)
    {
        var attached = new List<TlsFunction>(target.Functions.Count);
        foreach (var function in target.Functions)
        {
            if (TlsFunctions.IsLoaderHook(function.Function) && !_watchLoaders)
            {
                continue;
            }

            // SSL_free, gnutls_deinit and the loader's hook need no return probe.
            nint entryOnly = TlsFunctions.IsLoaderHook(function.Function) ? _loaded : TlsFunctions.EndsStream(function.Function) ? _free : 0;
            if (entryOnly != 0)
            {
                var link = AttachOrReuse(entryOnly, target, function, retProbe: false, out var linkError);
                if (link == 0)
                {
                    errors.Add($"{target.Path}: {TlsFunctions.SymbolOf(function.Function)} probe: {linkError}");
                    continue;
                }

                _links.Add(link);
                attached.Add(function.Function);
                continue;
            }

            // Return probe first: a call is only seen at entry once its return is sure to be seen too, so the
            // per-thread "in a TLS call" state can never be left behind by a call already running at attach time.
            var exit = AttachOrReuse(_exit, target, function, retProbe: true, out var exitError);
            if (exit == 0)
            {
                errors.Add($"{target.Path}: {TlsFunctions.SymbolOf(function.Function)} return probe: {exitError}");
                continue;
            }

            var enter = AttachOrReuse(_enter, target, function, retProbe: false, out var enterError);
            if (enter == 0)
            {
                _ = TlsNative.bpf_link__destroy(exit);
                errors.Add($"{target.Path}: {TlsFunctions.SymbolOf(function.Function)} probe: {enterError}");
                continue;
            }

            _links.Add(exit);
            _links.Add(enter);
            attached.Add(function.Function);
        }

        return attached;
    }

    public void Dispose()
    {
        foreach (var link in _links)
        {
            _ = TlsNative.bpf_link__destroy(link);
        }

        _links.Clear();
    }

    private nint AttachOrReuse(nint program, TlsProbeTarget target, TlsProbeFunction function, bool retProbe, out string error)
    {
        if (_pinDirectory is null)
        {
            return AttachOne(program, target.OpenPath, function, retProbe, out error);
        }

        string kind = program == _free ? "free" : program == _loaded ? "load" : retProbe ? "ret" : "call";
        string pin = Bpf.BpfPins.LinkPath(_pinDirectory, FormattableString.Invariant($"tls_{target.Identity.Major}_{target.Identity.Minor}_{target.Identity.Inode}_{function.FileOffset:x}_{kind}"));
        if (File.Exists(pin))
        {
            nint reused = Bpf.Libbpf.LinkOpen(pin);
            if (reused != 0)
            {
                error = "";
                return reused;
            }

            File.Delete(pin); // unreadable: replace it below
        }

        nint link = AttachOne(program, target.OpenPath, function, retProbe, out error);
        if (link != 0)
        {
            // Unpinned, the probe still traces; it only ends with this collector instead of outliving it.
            _ = Bpf.Libbpf.LinkPin(link, pin);
        }

        return link;
    }

    private static unsafe nint AttachOne(nint program, string path, TlsProbeFunction function, bool retProbe, out string error)
    {
        var options = new TlsNative.UprobeOpts
        {
            Size = (nuint)sizeof(TlsNative.UprobeOpts),
            Cookie = (ulong)function.Function,
            RetProbe = retProbe,
        };
        var link = TlsNative.bpf_program__attach_uprobe_opts(program, AllProcesses, path, (nuint)function.FileOffset, &options);
        error = link == 0 ? Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()) : "";
        return link;
    }
}
