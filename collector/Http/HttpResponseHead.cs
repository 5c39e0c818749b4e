namespace S3Slower.Collector.Http;

/// <summary>What the collector keeps of a response head; a value, like <see cref="HttpRequestHead"/>.</summary>
internal readonly record struct HttpResponseHead
{
    public int Status { get; init; }

    /// <summary>Bytes of the head including the blank line.</summary>
    public int HeadLength { get; init; }
    public bool Truncated { get; init; }

    /// <summary>-1 when absent.</summary>
    public required long ContentLength { get; init; }
    public bool Chunked { get; init; }
    public bool ConnectionClose { get; init; }
    public string? RequestId { get; init; }
    public string? AmzId2 { get; init; }

    /// <summary>1xx other than 101: another response head follows on the same connection.</summary>
    public bool IsInterim => Status is >= 100 and < 200 and not 101;

    /// <summary>What stands for the head of a response that is not HTTP: only a close or the idle timer ends it.</summary>
    public static HttpResponseHead NotHttp => new() { Status = 0, HeadLength = 0, Truncated = true, ContentLength = -1 };
}
