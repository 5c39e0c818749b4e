namespace S3Slower.Bench.Overhead;

internal enum BareTracerKind
{
    /// <summary>Programs that return at once: under the kernel's BPF statistics they measure the statistics' own cost.</summary>
    Empty,

    /// <summary>A timestamp per request and one fixed-size record per response, nothing copied.</summary>
    Reporting,
}
