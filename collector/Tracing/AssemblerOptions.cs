namespace S3Slower.Collector.Tracing;

/// <summary>How the request assembler decides what to report and when to give up waiting.</summary>
internal sealed record AssemblerOptions
{
    /// <summary>Report every HTTP request, not only S3-signed ones.</summary>
    public bool AllHttp { get; init; }

    /// <summary>A response without a length (chunked whose end was not seen, or close-delimited) ends after this much silence.</summary>
    public long IdleFlushNs { get; init; } = 1_000_000_000;

    /// <summary>A response with a Content-Length not yet fully read is given up after this much silence.</summary>
    public long StalledResponseNs { get; init; } = 30_000_000_000;

    /// <summary>A request still waiting for its first response byte is given up after this much silence.</summary>
    public long AwaitingResponseNs { get; init; } = 300_000_000_000;

    /// <summary>A connection without activity is forgotten after this (its close was not seen).</summary>
    public long ForgetConnectionNs { get; init; } = 600_000_000_000;
}
