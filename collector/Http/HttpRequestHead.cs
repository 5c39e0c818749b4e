namespace S3Slower.Collector.Http;

/// <summary>What the collector keeps of a request head: credentials already removed.</summary>
internal sealed record HttpRequestHead
{
    public required string Method { get; init; }

    /// <summary>Path and query, sensitive query parameters removed.</summary>
    public required string Target { get; init; }
    public string Host { get; init; } = "";

    /// <summary>Bytes of the head including the blank line; the request body starts after it.</summary>
    public int HeadLength { get; init; }

    /// <summary>The head did not end within the captured bytes: later headers are missing.</summary>
    public bool Truncated { get; init; }

    /// <summary>-1 when absent.</summary>
    public long ContentLength { get; init; } = -1;
    public bool Chunked { get; init; }
    public bool ExpectContinue { get; init; }

    /// <summary>Signed for S3: SigV4/SigV2 Authorization, a presigned signature in the query, or x-amz-* headers.</summary>
    public bool LooksLikeS3 { get; init; }

    /// <summary>Headers the S3 classifier needs, lower-case names.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;

    internal static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>();
}
