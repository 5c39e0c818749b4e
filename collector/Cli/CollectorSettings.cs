namespace S3Slower.Collector.Cli;

/// <summary>Everything the collector process was asked to do, after flags and config are merged.</summary>
public sealed record CollectorSettings
{
    public string SocketPath { get; init; } = Shared.Protocol.ProtocolConstants.DefaultSocketPath;
    public IReadOnlyList<int> Pids { get; init; } = [];
    public IReadOnlyList<string> Comms { get; init; } = [];
    public bool AllHttp { get; init; }
    public bool Debug { get; init; }
    public bool Print { get; init; }
    public bool DescribeEbpf { get; init; }
    public double? DurationSeconds { get; init; }
    public int RingBufferMiB { get; init; } = 16;
    public int SpoolEvents { get; init; } = 400_000;
    public IReadOnlyList<string> TlsLibraries { get; init; } = [];
    public bool NoTls { get; init; }

    /// <summary>Keep maps and tracepoint links pinned in bpffs across restarts.</summary>
    public bool Pin { get; init; }

    /// <summary>Where the journal and the collector id live; null: events are kept in memory only.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Remove the pins and exit.</summary>
    public bool Unpin { get; init; }
}
