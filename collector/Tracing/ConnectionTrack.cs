namespace S3Slower.Collector.Tracing;

/// <summary>What the assembler knows about one traced connection.</summary>
internal sealed class ConnectionTrack
{
    public required ulong ConnectionId { get; init; }
    public required int Pid { get; init; }
    public required string Comm { get; init; }
    public string? Peer { get; init; }
    public bool Tls { get; init; }

    /// <summary>The Host of the connection's last request: the next one nearly always names the same, and shares the string.</summary>
    public string? Host { get; set; }
    public ulong LastActivityNs { get; set; }
    public PendingRequest? Current { get; set; }
}
