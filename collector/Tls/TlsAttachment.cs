namespace S3Slower.Collector.Tls;

/// <summary>A file the TLS uprobes are attached to (once per inode, for every process), for <c>--ebpf</c>.</summary>
public sealed record TlsAttachment(TlsProbeTarget Target, IReadOnlyList<TlsFunction> Functions)
{
    public string Describe() =>
        $"{Target.Path} [{Target.Source}] " + string.Join(' ', Target.Functions
            .Where(f => Functions.Contains(f.Function))
            .Select(f => $"{TlsFunctions.SymbolOf(f.Function)}@0x{f.FileOffset:x}"));
}
