namespace S3Slower.Collector.Http;

/// <summary>
/// What the collector keeps of a request head: credentials already removed. A value, so that parsing one head per
/// request allocates nothing beyond the strings the event carries.
/// </summary>
internal readonly record struct HttpRequestHead
{
    public required string Method { get; init; }

    /// <summary>Path and query, sensitive query parameters removed.</summary>
    public required string Target { get; init; }
    public required string Host { get; init; }

    /// <summary>Bytes of the head including the blank line; the request body starts after it.</summary>
    public int HeadLength { get; init; }

    /// <summary>The head did not end within the captured bytes: later headers are missing.</summary>
    public bool Truncated { get; init; }

    /// <summary>-1 when absent.</summary>
    public required long ContentLength { get; init; }
    public bool Chunked { get; init; }
    public bool ExpectContinue { get; init; }

    /// <summary>Signed for S3: SigV4/SigV2 Authorization, a presigned signature in the query, or x-amz-* headers.</summary>
    public bool LooksLikeS3 { get; init; }

    /// <summary>Headers the S3 classifier needs, lower-case names.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    internal static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>();
}
