using System.Collections.Concurrent;
using System.Globalization;

namespace S3Slower.Collector.Tls;

/// <summary>
/// Finds files that hold TLS plaintext functions: shared OpenSSL/GnuTLS libraries from the ld.so cache and the usual
/// library directories, and any executable mapping of a running process (bundled libssl of awscli v2 or a venv,
/// binaries that link OpenSSL/BoringSSL statically such as node). Each file is examined once per identity. Dynamic
/// loaders (ld.so) are targets too: their debugger hook tells the watcher when a process has loaded a library.
/// </summary>
public sealed class TlsLibraryScanner
{
    /// <summary>Directories searched besides the ld.so cache.</summary>
    public static readonly IReadOnlyList<string> DefaultLibraryDirectories =
    [
        "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64",
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
    ];

    private readonly ConcurrentDictionary<FileIdentity, TlsProbeTarget?> _examined = new();

    /// <summary>Why a file could not be examined, for <c>--debug</c>; the scan itself goes on.</summary>
    public event Action<string, string>? FileSkipped;

    /// <summary>Raised once per newly examined file, TLS or not (the watcher stops reporting it).</summary>
    public event Action<FileIdentity>? FileExamined;

    /// <summary>True for sonames the system scan attaches to: libssl.so* and libgnutls.so* (not libgnutls-openssl).</summary>
    public static bool IsSharedTlsLibraryName(ReadOnlySpan<char> fileName) =>
        fileName.StartsWith("libssl.so", StringComparison.Ordinal) || fileName.StartsWith("libgnutls.so", StringComparison.Ordinal);

    /// <summary>True for the dynamic loaders of glibc (ld-linux-x86-64.so.2) and musl (ld-musl-x86_64.so.1, Alpine images).</summary>
    public static bool IsLoaderName(ReadOnlySpan<char> fileName) =>
        fileName.StartsWith("ld-linux", StringComparison.Ordinal) || fileName.StartsWith("ld-musl", StringComparison.Ordinal);

    /// <summary>Files that are known not to hold TLS functions; skipping them keeps a full /proc scan cheap.</summary>
    public static bool IsUninteresting(ReadOnlySpan<char> path) =>
        path.StartsWith("/dev/", StringComparison.Ordinal) || path.StartsWith("/memfd:", StringComparison.Ordinal)
        || path.Contains("/libc.so", StringComparison.Ordinal)
        || path.Contains("/libcrypto.so", StringComparison.Ordinal) || path.Contains("/libstdc++.so", StringComparison.Ordinal)
        || path.Contains("/libm.so", StringComparison.Ordinal) || path.Contains("/libgcc_s.so", StringComparison.Ordinal);

    /// <summary>Shared TLS libraries and dynamic loaders of the host: ld.so cache entries and files in <paramref name="directories"/>.</summary>
    public IReadOnlyList<TlsProbeTarget> ScanSystem(IEnumerable<(string Name, string Path)> ldCache, IEnumerable<string> directories)
    {
        ArgumentNullException.ThrowIfNull(ldCache);
        ArgumentNullException.ThrowIfNull(directories);
        var paths = new List<string>();
        foreach (var (name, path) in ldCache)
        {
            if (IsSharedTlsLibraryName(name) || IsSharedTlsLibraryName(System.IO.Path.GetFileName(path.AsSpan())) || IsLoaderName(name))
            {
                paths.Add(path);
            }
        }

        foreach (var directory in directories)
        {
            try
            {
                foreach (var file in Directory.EnumerateFiles(directory))
                {
                    var fileName = System.IO.Path.GetFileName(file.AsSpan());
                    if (IsSharedTlsLibraryName(fileName) || IsLoaderName(fileName))
                    {
                        paths.Add(file);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                FileSkipped?.Invoke(directory, e.Message);
            }
        }

        return ExamineAll(paths.Select(p => (p, p)), "system");
    }

    /// <summary>TLS files among the executable mappings of one process's maps.</summary>
    public IReadOnlyList<TlsProbeTarget> ScanMappings(IEnumerable<MappedFile> mappings, Func<MappedFile, string> openPathOf, string source)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        ArgumentNullException.ThrowIfNull(openPathOf);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var candidates = new List<(string, string)>();
        foreach (var mapping in mappings)
        {
            if (mapping.Executable && !IsUninteresting(mapping.Path) && seen.Add(mapping.Path))
            {
                var path = mapping.IsDeleted ? mapping.Path[..^MappedFile.DeletedSuffix.Length] : mapping.Path;
                candidates.Add((path, openPathOf(mapping)));
            }
        }

        return ExamineAll(candidates, source);
    }

    /// <summary>TLS files mapped by <paramref name="pid"/>, read from <c>/proc</c> (empty when the process is gone).</summary>
    public IReadOnlyList<TlsProbeTarget> ScanProcess(int pid, string procRoot = "/proc")
    {
        string text;
        try
        {
            text = File.ReadAllText($"{procRoot}/{pid.ToString(CultureInfo.InvariantCulture)}/maps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        var root = ProcessRootPrefix(pid, procRoot);
        return ScanMappings(
            ProcMapsParser.Parse(text),
            m => m.IsDeleted
                ? string.Create(CultureInfo.InvariantCulture, $"{procRoot}/{pid}/map_files/{m.Start:x}-{m.End:x}")
                : root + m.Path,
            string.Create(CultureInfo.InvariantCulture, $"pid {pid}"));
    }

    /// <summary>Every process in <c>/proc</c>.</summary>
    public IReadOnlyList<TlsProbeTarget> ScanAllProcesses(string procRoot = "/proc")
    {
        var result = new List<TlsProbeTarget>();
        foreach (var directory in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(System.IO.Path.GetFileName(directory.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                result.AddRange(ScanProcess(pid, procRoot));
            }
        }

        return result;
    }

    /// <summary>
    /// Examines one file (a <c>--tls-lib</c> path, or one found by a scan). Returns null when it holds no TLS function;
    /// throws <see cref="FileNotFoundException"/> or <see cref="ElfFormatException"/> with a clear message otherwise.
    /// </summary>
    public TlsProbeTarget? Examine(string path, string openPath, string source)
    {
        if (!FileIdentity.TryOf(openPath, out var identity))
        {
            throw new FileNotFoundException($"{path}: cannot stat {openPath}", path);
        }

        if (_examined.TryGetValue(identity, out var known))
        {
            return known;
        }

        var symbols = ElfSymbolReader.ReadFile(openPath, TlsFunctions.Symbols);
        var functions = new List<TlsProbeFunction>(symbols.Count);
        foreach (var symbol in symbols)
        {
            functions.Add(new TlsProbeFunction(TlsFunctions.BySymbol[symbol.Name], symbol.FileOffset));
        }

        functions.Sort((a, b) => a.Function.CompareTo(b.Function));
        bool useful = functions.Exists(f => TlsFunctions.CarriesPlaintext(f.Function) || TlsFunctions.IsLoaderHook(f.Function));
        var target = useful ? new TlsProbeTarget(path, openPath, identity, functions, source) : null;
        if (_examined.TryAdd(identity, target))
        {
            FileExamined?.Invoke(identity);
            return target;
        }

        return _examined[identity];
    }

    /// <summary>True once <paramref name="identity"/> has been examined (whatever the outcome).</summary>
    public bool IsKnown(FileIdentity identity) => _examined.ContainsKey(identity);

    private List<TlsProbeTarget> ExamineAll(IEnumerable<(string Path, string OpenPath)> paths, string source)
    {
        var result = new List<TlsProbeTarget>();
        foreach (var (path, openPath) in paths)
        {
            try
            {
                if (Examine(path, openPath, source) is { } target && !result.Any(t => t.Identity == target.Identity))
                {
                    result.Add(target);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException)
            {
                FileSkipped?.Invoke(path, e.Message);
            }
        }

        return result;
    }

    private static string ProcessRootPrefix(int pid, string procRoot)
    {
        var root = string.Create(CultureInfo.InvariantCulture, $"{procRoot}/{pid}/root");
        return FileIdentity.TryOf(root, out var theirs) && FileIdentity.TryOf("/", out var ours) && theirs != ours ? root : "";
    }
}
