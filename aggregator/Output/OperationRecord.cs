namespace S3Slower.Aggregator.Output;

/// <summary>
/// One line of <c>operations.jsonl</c> (and one row of <c>operations.csv</c>): a completed S3 request.
/// Field names are snake_case and stable; times are milliseconds with nanosecond resolution.
/// <see cref="WaitMs"/> repeats <see cref="ServerMs"/> under the name the spine issue documents.
/// </summary>
public sealed record OperationRecord
{
    /// <summary>When the request's first byte was written, RFC 3339 UTC with microseconds.</summary>
    public string Time { get; init; } = "";

    public string CollectorId { get; init; } = "";

    public ulong Seq { get; init; }

    public string Hostname { get; init; } = "";

    public int Pid { get; init; }

    public int Tid { get; init; }

    public string Comm { get; init; } = "";

    public string Method { get; init; } = "";

    public string Operation { get; init; } = "";

    public string? Bucket { get; init; }

    public string? Key { get; init; }

    public int? PartNumber { get; init; }

    public string? Endpoint { get; init; }

    public int Status { get; init; }

    public string? ErrorCode { get; init; }

    public string? RequestId { get; init; }

    public string? AmzId2 { get; init; }

    public bool Tls { get; init; }

    public ulong ConnectionId { get; init; }

    public long RequestBytes { get; init; }

    public long ResponseBytes { get; init; }

    public double TotalMs { get; init; }

    public double TtfbMs { get; init; }

    public double UploadMs { get; init; }

    public double ServerMs { get; init; }

    public double WaitMs { get; init; }

    public double DownloadMs { get; init; }

    /// <summary>How the timing was observed: continue_100, idle_flush, incomplete, head_truncated.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
}
