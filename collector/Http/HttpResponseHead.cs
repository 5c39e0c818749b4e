namespace S3Slower.Collector.Http;

/// <summary>What the collector keeps of a response head.</summary>
internal sealed record HttpResponseHead
{
    public int Status { get; init; }

    /// <summary>Bytes of the head including the blank line.</summary>
    public int HeadLength { get; init; }
    public bool Truncated { get; init; }

    /// <summary>-1 when absent.</summary>
    public long ContentLength { get; init; } = -1;
    public bool Chunked { get; init; }
    public bool ConnectionClose { get; init; }
    public string? RequestId { get; init; }
    public string? AmzId2 { get; init; }

    /// <summary>1xx other than 101: another response head follows on the same connection.</summary>
    public bool IsInterim => Status is >= 100 and < 200 and not 101;
}
