namespace S3Slower.Collector.Tls;

/// <summary>What the TLS tracer attaches to.</summary>
/// <param name="ExtraLibraries"><c>--tls-lib</c>: libraries or binaries attached to in addition to what discovery finds.</param>
/// <param name="ScanSystem">Attach to the host's shared libssl/libgnutls (ld.so cache and library directories).</param>
/// <param name="ScanProcesses">Attach to TLS code mapped by processes running at start (bundled libssl, static binaries).</param>
/// <param name="WatchNewCode">Follow exec and executable mmaps, for processes and dlopen'ed libraries that come later.</param>
/// <param name="Debug">Log every file that could not be examined.</param>
/// <param name="PinDirectory">With <c>--pin</c>: where the uprobe links are pinned, so TLS tracing goes on while the collector is gone.</param>
public sealed record TlsTracerOptions(
    IReadOnlyList<string> ExtraLibraries,
    bool ScanSystem = true,
    bool ScanProcesses = true,
    bool WatchNewCode = true,
    bool Debug = false,
    string? PinDirectory = null);
