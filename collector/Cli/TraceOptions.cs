namespace S3Slower.Collector.Cli;

/// <summary>What the tracing side is told by the command line.</summary>
public sealed record TraceOptions
{
    /// <summary>Only these processes (empty: every process).</summary>
    public IReadOnlyList<int> Pids { get; init; } = [];

    /// <summary>Only processes with these names (kernel comm, first 15 bytes; empty: every name).</summary>
    public IReadOnlyList<string> Comms { get; init; } = [];

    /// <summary>Report every HTTP request, not only those signed for S3.</summary>
    public bool AllHttp { get; init; }

    /// <summary>Print libbpf's messages, including the verifier log.</summary>
    public bool Debug { get; init; }

    /// <summary>Ring buffer size in MiB, a power of two.</summary>
    public int RingBufferMiB { get; init; } = 16;

    /// <summary>A response of unknown length ends after this much silence on its connection.</summary>
    public TimeSpan IdleFlush { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Extra TLS libraries or binaries to attach uprobes to.</summary>
    public IReadOnlyList<string> TlsLibraries { get; init; } = [];

    /// <summary>Plain HTTP only: no TLS uprobes.</summary>
    public bool NoTls { get; init; }
}
