namespace S3Slower.Collector.Tls;

/// <summary>One plaintext function of a TLS library and where its code starts in the file.</summary>
public sealed record TlsProbeFunction(TlsFunction Function, ulong FileOffset);

/// <summary>
/// A library or binary to attach to: <paramref name="Path"/> as its process sees it, <paramref name="OpenPath"/> as
/// this process can reach it (through <c>/proc/&lt;pid&gt;/root</c> for another mount namespace), and the functions found.
/// </summary>
public sealed record TlsProbeTarget(
    string Path, string OpenPath, FileIdentity Identity, IReadOnlyList<TlsProbeFunction> Functions, string Source);
